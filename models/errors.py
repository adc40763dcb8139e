"""Refusals the domain raises; each names a catalog text a user can read."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A refused request. `key` names a text in the catalogs, `params` fill it in."""

    def __init__(self, key: str, **params: Any) -> None:
        super().__init__(key, params)
        self.key = key
        self.params = params

    def __str__(self) -> str:
        return f"{self.key} {self.params}" if self.params else self.key
