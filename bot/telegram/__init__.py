"""The Telegram adapter: chat, delivery, the application, the offline Telegram and its console."""
