"""newscrawl's own settings, read once from Scrapy's settings into one typed object.

Every ``NEWSCRAWL_*`` setting is declared here, with its default and its check,
and nowhere else: components take the crawl's `NewscrawlConfig` from
`NewscrawlConfig.of(crawler)` (read on first use, once per crawler) and never
read settings themselves. A ``NEWSCRAWL_*`` name this module does not know is
an error, so that a typo (`NEWSCRAWL_MIN_WORD=500`) is not silently ignored.
"""

from __future__ import annotations

import difflib
import json
import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any
from weakref import WeakKeyDictionary

from newscrawl.cleaning import DEFAULT_MIN_WORDS, InvalidPatternError, TextCleaner
from newscrawl.cluster.keys import ClusterError, Shard, parse_run_id
from newscrawl.database import DEFAULT_CALL_LIMIT, is_postgres_url
from newscrawl.sites import MAX_DELAY

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

__all__ = [
    "SETTING_PREFIX",
    "ConfigError",
    "NewscrawlConfig",
    "default_workers",
    "max_workers",
    "parse_site_patterns",
    "setting_name",
]

SETTING_PREFIX = "NEWSCRAWL_"


def default_workers() -> int:
    """One extraction worker per core this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


# Extraction is CPU-bound: processes past the cores add memory (100-150 MiB each),
# not pages a second. A number far past them is a slip, and a costly one:
# `--workers 100000` forked workers until the machine's 24 GB were gone and the
# kernel killed processes of other programs.
WORKERS_PER_CORE_MAX = 4


def max_workers() -> int:
    """The most extraction processes newscrawl starts on this machine."""
    return WORKERS_PER_CORE_MAX * default_workers()


def check_worker_count(number: int) -> None:
    """Raise ValueError unless `number` is 0 (in-process) to `max_workers()`."""
    if number < 0:
        raise ValueError("must be a number of processes, 0 (in-process) or auto")
    if number > max_workers():
        raise ValueError(
            f"at most {max_workers()} on this machine ({WORKERS_PER_CORE_MAX} a core:"
            " extraction is CPU-bound, and each process holds 100-150 MiB)"
        )


class ConfigError(ValueError):
    """A NEWSCRAWL_* setting has a value newscrawl cannot use, or does not exist."""


# -- value checks: each takes what Scrapy's settings hold (often a string from -s) ------


def _non_negative_int(value: Any) -> int:
    number = int(value)
    if number < 0:
        raise ValueError("must be 0 or more")
    return number


# A worker's address space at rest is about 290 MiB (the interpreter, lxml,
# trafilatura and the libraries they map); under 300 every worker died on its
# first page, and the pool with it.
MIN_WORKER_MEMORY_MB = 384


# The largest limit: 1 TiB of address space. setrlimit(2) takes at most 2**63 - 1
# bytes, and a number of MB past that stopped every worker as it started
# (OverflowError, a traceback each, exit 5); 0 is the way to say "no limit".
MAX_WORKER_MEMORY_MB = 1024 * 1024


def _worker_memory(value: Any) -> int:
    number = int(value)
    if number != 0 and number < MIN_WORKER_MEMORY_MB:
        raise ValueError(
            f"must be 0 (no limit) or at least {MIN_WORKER_MEMORY_MB}: a worker needs"
            " about 290 MiB of address space before it reads a page"
        )
    if number > MAX_WORKER_MEMORY_MB:
        raise ValueError(f"must be at most {MAX_WORKER_MEMORY_MB} (1 TiB), or 0 for no limit")
    return number


def _positive_int(value: Any) -> int:
    number = int(value)
    if number < 1:
        raise ValueError("must be 1 or more")
    return number


# The longest time a NEWSCRAWL_* setting in seconds may give. The timers that keep
# these times (setitimer(2) of an extraction worker, the stop watchdog's thread)
# take at most about 9.2e9 s: NEWSCRAWL_EXTRACT_TIMEOUT=1e10 failed in every
# worker, each page with a traceback, and the crawl exited 0 having stored
# nothing; NEWSCRAWL_STOP_TIMEOUT=1e10 killed the watchdog with a traceback at
# the first Ctrl-C. Thirty days is past any timeout meant for a crawl; where
# "no limit" is meant, these settings say 0.
MAX_SECONDS = 30 * 24 * 3600


def _finite_float(value: Any) -> float:
    # float() reads "inf" and "nan" too: nan passes every comparison, and an
    # endless timeout or wait is no setting a crawl can keep.
    number = float(value)
    if not math.isfinite(number):
        raise ValueError("must be a finite number")
    if number > MAX_SECONDS:
        raise ValueError(f"must be at most {MAX_SECONDS:g} seconds (30 days)")
    return number


def _non_negative_float(value: Any) -> float:
    number = _finite_float(value)
    if number < 0:
        raise ValueError("must be 0 or more")
    return number


def _retry_after_limit(value: Any) -> float:
    """A Retry-After pause holds every request of its site, and a stop waits for
    them: past MAX_DELAY, a SIGINT during a 600 s pause was cut short at
    NEWSCRAWL_STOP_TIMEOUT (60 s) with exit code 3. As DOWNLOAD_DELAY, at most
    that; a longer pause gives the request up (the next run asks for it again)."""
    number = _non_negative_float(value)
    if number > MAX_DELAY:
        raise ValueError(
            f"must be at most {MAX_DELAY:g} seconds (a stop must fit in NEWSCRAWL_STOP_TIMEOUT)"
        )
    return number


def _positive_float(value: Any) -> float:
    number = _finite_float(value)
    if number <= 0:
        raise ValueError("must be above 0")
    return number


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ValueError("must be true or false")


def _workers(value: Any) -> int:
    if isinstance(value, str) and value.strip().lower() == "auto":
        return -1
    number = int(value)
    if number != -1:
        check_worker_count(number)
    return number


def _patterns(value: Any) -> tuple[str, ...]:
    # From the command line (-s) a list arrives as one string: one pattern per line.
    if isinstance(value, str):
        return tuple(line for line in value.splitlines() if line.strip())
    if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise ValueError("must be a list of regular expressions")


def _hosts(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return tuple(h.strip() for h in value.replace(",", "\n").splitlines() if h.strip())
    if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        return tuple(v.strip() for v in value if v.strip())
    raise ValueError("must be a list of host names or addresses")


def parse_site_patterns(value: Any) -> dict[str, tuple[str, ...]]:
    """NEWSCRAWL_SITE_FRAGMENT_PATTERNS's value: a mapping, or JSON from the command line."""
    if isinstance(value, str):  # from the command line: JSON
        value = json.loads(value)
    if not isinstance(value, Mapping):
        raise TypeError("must map site names to lists of regular expressions")
    return {str(site): _patterns(patterns) for site, patterns in value.items()}


def _postgres_url(value: Any) -> str:
    text = str(value)
    if text and not is_postgres_url(text):
        raise ValueError("must be a postgresql:// URL")
    return text


def _path(value: Any) -> Path | None:
    return Path(str(value)) if str(value) else None


def _text(value: Any) -> str | None:
    return str(value) or None


def _redis_url(value: Any) -> str | None:
    text = str(value)
    if text and not text.startswith(("redis://", "rediss://", "unix://")):
        raise ValueError("must be a redis://, rediss:// or unix:// URL")
    return text or None


def _run_id(value: Any) -> str | None:
    try:
        return parse_run_id(str(value)) if str(value) else None
    except ClusterError as exc:
        raise ValueError(str(exc)) from None


def _shard(value: Any) -> Shard:
    try:
        return Shard.parse(str(value))
    except ClusterError as exc:
        raise ValueError(str(exc)) from None


def _setting(convert: Callable[[Any], Any], default: Any, doc: str) -> Any:
    """A field of NewscrawlConfig read from the setting NEWSCRAWL_<FIELD NAME>."""
    factory = (lambda: dict(default)) if isinstance(default, dict) else None
    if factory is not None:
        return field(default_factory=factory, metadata={"convert": convert, "doc": doc})
    return field(default=default, metadata={"convert": convert, "doc": doc})


def setting_name(field_name: str) -> str:
    return SETTING_PREFIX + field_name.upper()


@dataclass(frozen=True)
class NewscrawlConfig:
    """Every newscrawl setting, by its name without NEWSCRAWL_ in lower case
    (`min_words` is NEWSCRAWL_MIN_WORDS). The defaults are these, in one place."""

    # -- cleaning
    min_words: int = _setting(
        _non_negative_int, DEFAULT_MIN_WORDS, "fewer words after cleaning: not an article"
    )
    fragment_patterns: tuple[str, ...] = _setting(_patterns, (), "extra fragment patterns")
    # A sites file's `boilerplate`, by site name (the news spider adds it).
    site_fragment_patterns: Mapping[str, tuple[str, ...]] = _setting(
        parse_site_patterns, {}, "extra fragment patterns of single sites, by site name"
    )
    # -- budgets
    max_pages: int = _setting(_non_negative_int, 0, "requests a crawl may send (0: no limit)")
    max_pages_per_site: int = _setting(
        _non_negative_int, 20_000, "requests one site may cost a run (0: no limit)"
    )
    # -- the address guard
    address_guard: bool = _setting(_bool, True, "refuse internal addresses (netguard.py)")
    allow_hosts: tuple[str, ...] = _setting(_hosts, (), "internal hosts every site may reach")
    # -- politeness and failures
    max_retry_after: float = _setting(
        _retry_after_limit, MAX_DELAY, "seconds; a 429/503 asking longer gives the request up"
    )
    retry_after_times: int = _setting(
        _non_negative_int, 3, "Retry-After pauses one request may get"
    )
    site_failure_limit: int = _setting(
        _non_negative_int, 10, "failures in a row that close a site for the run (0: never)"
    )
    # -- extraction
    workers: int = _setting(_workers, -1, "extraction processes; 0: in-process; -1: auto")
    extract_timeout: float = _setting(_positive_float, 8.0, "seconds of CPU a page may take")
    extract_queue: int = _setting(
        _non_negative_int, 0, "pages waiting for a worker at most (0: 4 per worker)"
    )
    worker_memory_mb: int = _setting(
        _worker_memory, 1024, "address space of an extraction worker (0: no limit)"
    )
    # -- the store
    sqlite_path: Path | None = _setting(_path, None, "SQLite file to upsert into")
    database_url: str | None = _setting(_postgres_url, None, "postgresql:// database instead")
    # 500, not 100: a commit rewrites the B-tree pages its rows touch, so fewer of
    # them cost the crawler's process less (replaying 1,160 crawled articles:
    # 1.27-1.31 ms of CPU an article at 100, 1.11-1.23 at 300 and 500). A crawl
    # storing 50 articles a second still commits at least every 5 s (below), so a
    # kill makes the next run fetch at most those seconds' pages again.
    sqlite_commit_every: int = _setting(_positive_int, 500, "articles per transaction")
    sqlite_commit_seconds: float = _setting(
        _non_negative_float, 5.0, "and a commit at least this often"
    )
    store_timeout: float = _setting(
        _non_negative_float,
        DEFAULT_CALL_LIMIT,
        "seconds a PostgreSQL call of the crawl may take (0: no limit)",
    )
    # -- the archive of fetched pages (newscrawl/archive.py)
    archive_dir: Path | None = _setting(_path, None, "folder for WARC files of every response")
    archive_max_mb: int = _setting(
        _positive_int, 1024, "MB after which a WARC file is closed and the next begun"
    )
    # -- the run
    stop_timeout: float = _setting(
        _non_negative_float, 60.0, "seconds a stop may take before the process exits (0: wait)"
    )
    stats_file: Path | None = _setting(_path, None, "the run's stats and failures as JSON")
    progress: bool = _setting(_bool, False, "a progress line on stderr")
    # -- a cluster worker (newscrawl/cluster/)
    cluster_url: str | None = _setting(_redis_url, None, "the cluster's Redis")
    cluster_run: str | None = _setting(_run_id, None, "the run id, shared by its workers")
    shard: Shard = _setting(_shard, Shard(0, 1), "this worker's share of the sites")
    cluster_timeout: float = _setting(
        _positive_float, 60.0, "seconds Redis may not answer before the worker stops"
    )
    cluster_wait: float = _setting(
        _non_negative_float, 600.0, "seconds an idle worker waits for other shards' workers"
    )
    cluster_heartbeat: float = _setting(
        _positive_float, 60.0, "seconds a worker's heartbeat in Redis outlives its last refresh"
    )
    cluster_writer: bool = _setting(_bool, False, "articles to `newscrawl writer` via Redis")

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
        """Read and check every NEWSCRAWL_* setting of `settings` (Scrapy's
        Settings, or a mapping); ConfigError names the first bad one."""
        known = {setting_name(f.name): f for f in fields(cls)}
        for name in list(settings.keys() if hasattr(settings, "keys") else settings):
            if str(name).startswith(SETTING_PREFIX) and name not in known:
                close = difflib.get_close_matches(str(name), list(known), n=1)
                hint = f" (did you mean {close[0]}?)" if close else ""
                raise ConfigError(f"unknown setting {name}{hint}")
        values: dict[str, Any] = {}
        for name, spec in known.items():
            raw = settings.get(name)
            if raw is None or raw == "":
                continue
            try:
                values[spec.name] = spec.metadata["convert"](raw)
            except (TypeError, ValueError) as exc:
                raise ConfigError(f"setting {name}={raw!r}: {exc}") from None
        config = cls(**values)
        if config.cluster_url is not None and config.cluster_run is None:
            raise ConfigError("setting NEWSCRAWL_CLUSTER_URL needs NEWSCRAWL_CLUSTER_RUN")
        # Fail now, with the setting's name, on a bad pattern.
        for site in (None, *config.site_fragment_patterns):
            config.make_cleaner(site)
        return config

    @classmethod
    def of(cls, crawler: Crawler) -> NewscrawlConfig:
        """The crawl's configuration, read from its settings on first use and
        shared by every component (spider, middlewares, pipelines, extensions)."""
        config = _BY_CRAWLER.get(crawler)
        if config is None:
            config = _BY_CRAWLER[crawler] = cls.from_settings(crawler.settings)
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


_BY_CRAWLER: WeakKeyDictionary[Any, NewscrawlConfig] = WeakKeyDictionary()
