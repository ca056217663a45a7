"""newscrawl's own settings, read once from Scrapy's settings into one typed object.

Every ``NEWSCRAWL_*`` setting is validated here, with an error that names it;
the rest of the code receives a `NewscrawlConfig` and never reads settings itself.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from newscrawl.cleaning import DEFAULT_MIN_WORDS, InvalidPatternError, TextCleaner
from newscrawl.database import is_postgres_url
from newscrawl.workers import default_workers

__all__ = ["ConfigError", "NewscrawlConfig", "crawler_config"]

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


def _workers(value: Any) -> int:
    if isinstance(value, str) and value.strip().lower() == "auto":
        return -1
    number = int(value)
    if number < -1:
        raise ValueError("must be a number of processes, 0 (in-process) or auto")
    return number


def _positive_float(value: Any) -> float:
    number = float(value)
    if number <= 0:
        raise ValueError("must be above 0")
    return number


def _site_patterns(value: Any) -> dict[str, tuple[str, ...]]:
    if isinstance(value, str):  # from the command line: JSON
        value = json.loads(value)
    if not isinstance(value, Mapping):
        raise TypeError("must map site names to lists of regular expressions")
    return {str(site): _patterns(patterns) for site, patterns in value.items()}


def _patterns(value: Any) -> tuple[str, ...]:
    # From the command line (-s) a list arrives as one string: one pattern per line.
    if isinstance(value, str):
        return tuple(line for line in value.splitlines() if line.strip())
    if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise ValueError("must be a list of regular expressions")


def _postgres_url(value: object) -> str:
    text = str(value)
    if text and not is_postgres_url(text):
        raise ValueError("must be a postgresql:// URL")
    return text


@dataclass(frozen=True)
class NewscrawlConfig:
    min_words: int = DEFAULT_MIN_WORDS
    fragment_patterns: tuple[str, ...] = ()
    max_pages: int = 0  # 0: no limit
    max_pages_per_site: int = 20_000  # pages requested from one site in a run; 0: no limit
    worker_memory_mb: int = 1024  # address space an extraction worker may use; 0: no limit
    sqlite_path: Path | None = None
    database_url: str | None = None  # postgresql://...: the store of a cluster
    sqlite_commit_every: int = 100  # items per transaction
    sqlite_commit_seconds: float = 5.0  # and at least this often
    workers: int = -1  # extraction processes; 0: in the crawler's process; -1: one per core
    extract_timeout: float = 8.0  # seconds a page may take to extract
    extract_queue: int = 0  # pages waiting for a worker at most; 0: 4 per worker
    # Extra fragment patterns of single sites (a sites file's `boilerplate`), by site name.
    site_fragment_patterns: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def database(self) -> Path | str | None:
        """Where articles are stored: a PostgreSQL URL, a SQLite file, or nowhere."""
        return self.database_url or self.sqlite_path

    @property
    def worker_count(self) -> int:
        return default_workers() if self.workers < 0 else self.workers

    @property
    def queue_size(self) -> int:
        return self.extract_queue or 4 * max(1, self.worker_count)

    @classmethod
    def from_settings(cls, settings: Any) -> NewscrawlConfig:
        sqlite_path = _get(settings, "NEWSCRAWL_SQLITE_PATH", str, "")
        config = cls(
            min_words=_get(settings, "NEWSCRAWL_MIN_WORDS", _non_negative_int, DEFAULT_MIN_WORDS),
            fragment_patterns=_get(settings, "NEWSCRAWL_FRAGMENT_PATTERNS", _patterns, ()),
            max_pages=_get(settings, "NEWSCRAWL_MAX_PAGES", _non_negative_int, 0),
            max_pages_per_site=_get(
                settings, "NEWSCRAWL_MAX_PAGES_PER_SITE", _non_negative_int, 20_000
            ),
            worker_memory_mb=_get(settings, "NEWSCRAWL_WORKER_MEMORY_MB", _non_negative_int, 1024),
            sqlite_path=Path(sqlite_path) if sqlite_path else None,
            database_url=_get(settings, "NEWSCRAWL_DATABASE_URL", _postgres_url, "") or None,
            sqlite_commit_every=_get(settings, "NEWSCRAWL_SQLITE_COMMIT_EVERY", _positive_int, 100),
            sqlite_commit_seconds=_get(settings, "NEWSCRAWL_SQLITE_COMMIT_SECONDS", float, 5.0),
            workers=_get(settings, "NEWSCRAWL_WORKERS", _workers, -1),
            extract_timeout=_get(settings, "NEWSCRAWL_EXTRACT_TIMEOUT", _positive_float, 8.0),
            extract_queue=_get(settings, "NEWSCRAWL_EXTRACT_QUEUE", _non_negative_int, 0),
            site_fragment_patterns=_get(
                settings, "NEWSCRAWL_SITE_FRAGMENT_PATTERNS", _site_patterns, {}
            ),
        )
        # Fail now, with the setting's name, on a bad pattern.
        for site in (None, *config.site_fragment_patterns):
            config.make_cleaner(site)
        return config

    def make_cleaner(self, site: str | None = None) -> TextCleaner:
        """A cleaner with the crawl's patterns, and `site`'s own ones if it has any."""
        extra = self.site_fragment_patterns.get(site, ()) if site else ()
        try:
            return TextCleaner((*self.fragment_patterns, *extra), self.min_words)
        except InvalidPatternError as exc:
            name = "NEWSCRAWL_SITE_FRAGMENT_PATTERNS" if extra else "NEWSCRAWL_FRAGMENT_PATTERNS"
            raise ConfigError(f"setting {name}: {exc}") from None

    def cleaners(self) -> Callable[[str | None], TextCleaner]:
        """Cleaner per site, built on first use (most sites share the crawl's)."""
        shared = self.make_cleaner()
        built: dict[str, TextCleaner] = {}

        def cleaner_for(site: str | None) -> TextCleaner:
            if not site or site not in self.site_fragment_patterns:
                return shared
            if site not in built:
                built[site] = self.make_cleaner(site)
            return built[site]

        return cleaner_for


def crawler_config(crawler: Any) -> NewscrawlConfig:
    """The crawl's NewscrawlConfig, read from its settings once and shared by every
    component (spider, pipelines, extensions) of that crawler."""
    config: NewscrawlConfig | None = getattr(crawler, "_newscrawl_config", None)
    if config is None:
        config = NewscrawlConfig.from_settings(crawler.settings)
        crawler._newscrawl_config = config
    return config
