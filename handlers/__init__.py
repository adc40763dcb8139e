"""The chat front end: one module per flow, each with a `register(app)` (see handlers/flows.py).

Importing one module of it (a renderer, the neutral texts) loads no chat platform.
"""
