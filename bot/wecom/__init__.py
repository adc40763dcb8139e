"""The WeCom (企业微信) adapter: crypto, receiver, API client, cards, delivery, chat, offline."""
