"""The WeCom (企业微信) adapter: callback crypto, receiver, API client, delivery, offline WeCom."""

from bot.wecom.adapter import ADAPTER

__all__ = ["ADAPTER"]
