"""newscrawl's own settings, read once from Scrapy's settings into one typed object.

Every ``NEWSCRAWL_*`` setting is validated here, with an error that names it;
the rest of the code receives a `NewscrawlConfig` and never reads settings itself.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from newscrawl.cleaning import DEFAULT_MIN_WORDS, InvalidPatternError, TextCleaner

__all__ = ["ConfigError", "NewscrawlConfig"]

T = TypeVar("T")


class ConfigError(ValueError):
    """A NEWSCRAWL_* setting has a value newscrawl cannot use."""


def _get(settings: Any, name: str, convert: Callable[[Any], T], default: T) -> T:
    raw = settings.get(name)
    if raw is None or raw == "":
        return default
    try:
        return convert(raw)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"setting {name}={raw!r}: {exc}") from None


def _non_negative_int(value: Any) -> int:
    number = int(value)
    if number < 0:
        raise ValueError("must be 0 or more")
    return number


def _positive_int(value: Any) -> int:
    number = int(value)
    if number < 1:
        raise ValueError("must be 1 or more")
    return number


def _patterns(value: Any) -> tuple[str, ...]:
    # From the command line (-s) a list arrives as one string: one pattern per line.
    if isinstance(value, str):
        return tuple(line for line in value.splitlines() if line.strip())
    if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise ValueError("must be a list of regular expressions")


@dataclass(frozen=True)
class NewscrawlConfig:
    min_words: int = DEFAULT_MIN_WORDS
    fragment_patterns: tuple[str, ...] = ()
    max_pages: int = 0  # 0: no limit
    sqlite_path: Path | None = None
    sqlite_commit_every: int = 100  # items per transaction
    sqlite_commit_seconds: float = 5.0  # and at least this often

    @classmethod
    def from_settings(cls, settings: Any) -> NewscrawlConfig:
        sqlite_path = _get(settings, "NEWSCRAWL_SQLITE_PATH", str, "")
        config = cls(
            min_words=_get(settings, "NEWSCRAWL_MIN_WORDS", _non_negative_int, DEFAULT_MIN_WORDS),
            fragment_patterns=_get(settings, "NEWSCRAWL_FRAGMENT_PATTERNS", _patterns, ()),
            max_pages=_get(settings, "NEWSCRAWL_MAX_PAGES", _non_negative_int, 0),
            sqlite_path=Path(sqlite_path) if sqlite_path else None,
            sqlite_commit_every=_get(settings, "NEWSCRAWL_SQLITE_COMMIT_EVERY", _positive_int, 100),
            sqlite_commit_seconds=_get(settings, "NEWSCRAWL_SQLITE_COMMIT_SECONDS", float, 5.0),
        )
        config.make_cleaner()  # fail now, with the setting's name, on a bad pattern
        return config

    def make_cleaner(self) -> TextCleaner:
        try:
            return TextCleaner(self.fragment_patterns)
        except InvalidPatternError as exc:
            raise ConfigError(f"setting NEWSCRAWL_FRAGMENT_PATTERNS: {exc}") from None
