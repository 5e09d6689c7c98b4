"""A Web API error answer, and the check every method makes of its required params."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """A Web API error answer: ``{"ok": false, "error": error, **extra}``."""

    def __init__(self, error: str, **extra: Any) -> None:
        super().__init__(error)
        self.error = error
        self.extra = extra


def require(params: dict[str, Any], key: str, error: str) -> Any:
    value = params.get(key)
    if value is None or value == "":
        raise ApiError(error)
    return value
