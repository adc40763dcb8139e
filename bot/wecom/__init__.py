"""The WeCom (企业微信) adapter: callback crypto and receiver, API client, delivery, offline WeCom."""
