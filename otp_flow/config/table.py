"""``Table``: one TOML table being read, with typed getters whose errors name the key."""

from __future__ import annotations

import math
from typing import Any

from otp_flow.config.sections import ConfigError

__all__ = ["Table"]

_MISSING: Any = object()


class Table:
    """One TOML table being read; remembers the keys used so the rest can be reported."""

    def __init__(self, data: object, path: str) -> None:
        if not isinstance(data, dict):
            raise ConfigError(f"{path} must be a table")
        self.data: dict[str, Any] = data
        self.path = path
        self.used: set[str] = set()

    def name(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def get(self, key: str, default: Any = _MISSING) -> Any:
        self.used.add(key)
        if key in self.data:
            return self.data[key]
        if default is _MISSING:
            raise ConfigError(f"{self.name(key)} is required")
        return default

    def text(self, key: str, default: Any = _MISSING) -> Any:
        value = self.get(key, default)
        if value is not default and (not isinstance(value, str) or not value.strip()):
            raise ConfigError(f"{self.name(key)} must be a non-empty string")
        return value

    def integer(self, key: str, default: Any = _MISSING, *, low: int = 0, high: int = 0) -> Any:
        value = self.get(key, default)
        if value is default:
            return value
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise ConfigError(f"{self.name(key)} must be an integer >= {low}")
        if high and value > high:
            raise ConfigError(f"{self.name(key)} must be an integer between {low} and {high}")
        return value

    def positive_number(self, key: str, default: float) -> float:
        """An int or float > 0 (and finite), as a float."""
        value = self.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"{self.name(key)} must be a number > 0")
        if not 0 < value < math.inf:  # NaN fails this too
            raise ConfigError(f"{self.name(key)} must be a number > 0")
        return float(value)

    def flag(self, key: str, default: bool) -> bool:
        value = self.get(key, default)
        if not isinstance(value, bool):
            raise ConfigError(f"{self.name(key)} must be true or false")
        return value

    def texts(self, key: str, default: Any = _MISSING) -> tuple[str, ...]:
        value = self.get(key, default)
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{self.name(key)} must be a list of strings")
        return tuple(value)

    def table(self, key: str) -> Table:
        # type(self): a subclass (docs/gen_config.py records every key read) reads all the way down.
        return type(self)(self.get(key, {}), self.name(key))

    def tables(self, key: str) -> list[Table]:
        value = self.get(key, [])
        if not isinstance(value, list):
            raise ConfigError(f"{self.name(key)} must be an array of tables ([[{key}]])")
        return [type(self)(item, f"{self.name(key)}[{i}]") for i, item in enumerate(value)]

    def done(self) -> None:
        unknown = sorted(set(self.data) - self.used)
        if unknown:
            raise ConfigError(f"unknown key {self.name(unknown[0])}")

    def wrap(self, exc: ValueError) -> ConfigError:
        """A constructor's message (usually starting with the argument name) under our path."""
        message = str(exc)
        first = message.split(" ", 1)[0]
        return ConfigError(
            f"{self.path}.{message}" if first in self.data else f"{self.path}: {message}"
        )
