"""WeCom (企业微信) adapter: callback, crypto, API client, delivery, offline stand-in."""
