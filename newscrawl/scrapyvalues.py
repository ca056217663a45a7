"""Scrapy's own settings, checked before a crawl starts: their values, and that
they leave newscrawl's guards and parts in place.

A value of the wrong kind given with -s (`-s CONCURRENT_REQUESTS=abc`, `-s
DOWNLOADER_MIDDLEWARES=notjson`, `-s ROBOTSTXT_OBEY=maybe`) failed only once
Scrapy read it, while the crawl started: some sixty lines of tracebacks, and an
exit code of 130 (interrupted) or 1 for a crawl that never ran. And a per-site
concurrency of 0 left every request waiting for ever. Each setting Scrapy
declares is read here as the kind of its default (a boolean, a number, a dict),
a few as a whole number, and those without which no request goes out in their
range: a bad one is a ConfigError, one line and exit code 2, before anything
starts.
"""

from __future__ import annotations

import difflib
import logging
import math
import warnings
from collections.abc import Iterable
from typing import Any

from scrapy.exceptions import ScrapyDeprecationWarning
from scrapy.settings import SETTINGS_PRIORITIES, default_settings
from scrapy.utils.conf import build_component_list
from scrapy.utils.misc import load_object

from newscrawl.config import SETTING_PREFIX, ConfigError
from newscrawl.dupefilter import URLDupeFilter
from newscrawl.netguard import GuardedResolver
from newscrawl.sites import MAX_DELAY

__all__ = ["check_guards", "check_scrapy_values"]

# Read as whole numbers by Scrapy (int()), though other number settings take "0.5".
_WHOLE = frozenset({
    "CONCURRENT_ITEMS", "CONCURRENT_REQUESTS", "CONCURRENT_REQUESTS_PER_DOMAIN",
    "CONCURRENT_REQUESTS_PER_IP", "DEPTH_LIMIT", "DEPTH_PRIORITY", "DOWNLOAD_MAXSIZE",
    "DOWNLOAD_WARNSIZE", "MEMUSAGE_LIMIT_MB", "MEMUSAGE_WARNING_MB", "REDIRECT_MAX_TIMES",
    "RETRY_TIMES", "URLLENGTH_LIMIT",
})  # fmt: skip
# The least value with which a crawl sends requests at all.
_AT_LEAST = {
    "CONCURRENT_ITEMS": 1,
    "CONCURRENT_REQUESTS": 1,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 1,
    "REACTOR_THREADPOOL_MAXSIZE": 1,
    "DEPTH_LIMIT": 0,  # 0 is no limit; below it, no link is followed
    # Counts, sizes and times for which Scrapy reads 0 as "none" or "no limit"
    # (no delay, no retry, no redirect followed, no size cap, never close): a
    # value below 0 means nothing, and some did harm without a word.
    # DOWNLOAD_MAXSIZE=-5 refused every response as too big (the run said the
    # site "could not be reached", exit 1); RETRY_TIMES=-1 was no retry.
    "AUTOTHROTTLE_MAX_DELAY": 0,
    "AUTOTHROTTLE_START_DELAY": 0,
    "CLOSESPIDER_ERRORCOUNT": 0,
    "CLOSESPIDER_ITEMCOUNT": 0,
    "CLOSESPIDER_PAGECOUNT": 0,
    "CLOSESPIDER_PAGECOUNT_NO_ITEM": 0,
    "CLOSESPIDER_TIMEOUT": 0,
    "CLOSESPIDER_TIMEOUT_NO_ITEM": 0,
    "DNSCACHE_SIZE": 0,
    "DOWNLOAD_DELAY": 0,
    "DOWNLOAD_DELAY_JITTER": 0,
    "DOWNLOAD_MAXSIZE": 0,
    "DOWNLOAD_WARNSIZE": 0,
    "FEED_EXPORT_BATCH_ITEM_COUNT": 0,
    "HTTPCACHE_EXPIRATION_SECS": 0,
    "LOGSTATS_INTERVAL": 0,
    "MEMUSAGE_LIMIT_MB": 0,
    "MEMUSAGE_WARNING_MB": 0,
    "METAREFRESH_MAXDELAY": 0,
    "REDIRECT_MAX_TIMES": 0,
    "RETRY_TIMES": 0,
    "URLLENGTH_LIMIT": 0,
}
# Where 0 is no value at all: a download or DNS lookup given no time, a memory
# check run without pause, and AutoThrottle, which turns itself off (with no
# word the user sees) at a target concurrency of 0 or less.
_ABOVE_ZERO = frozenset({
    "AUTOTHROTTLE_TARGET_CONCURRENCY", "DNS_TIMEOUT", "DOWNLOAD_TIMEOUT",
    "MEMUSAGE_CHECK_INTERVAL_SECONDS",
})  # fmt: skip
# Seconds a site's requests wait for each other: past MAX_DELAY (see
# newscrawl/sites.py) a stop could not fit in NEWSCRAWL_STOP_TIMEOUT, and 1e308
# held the first request for ever.
_AT_MOST = dict.fromkeys(
    ("AUTOTHROTTLE_MAX_DELAY", "AUTOTHROTTLE_START_DELAY", "DOWNLOAD_DELAY"), MAX_DELAY
)
# Declared with 1 for a default, read with getbool: `-s TELNETCONSOLE_ENABLED=True`
# was refused as "not a number".
_READ_AS_BOOL = frozenset({"TELNETCONSOLE_ENABLED"})
# Scrapy 2.19 no longer declares it (reading its default warns), and
# newscrawl's scheduler queue (fairness.py) refuses any value but 0 while the
# crawl starts, in a page of tracebacks: a site's requests at once are
# CONCURRENT_REQUESTS_PER_DOMAIN, or a sites file's `concurrency`.
_PER_IP = "CONCURRENT_REQUESTS_PER_IP"


def _in_effect(settings: Any, name: str) -> bool:
    """Whether setting `name` acts in this crawl: AutoThrottle's settings do only
    while it is on (`AUTOTHROTTLE_MAX_DELAY = 60`, Scrapy's own default and its
    project template's, is no wait at all with AutoThrottle off)."""
    if not name.startswith("AUTOTHROTTLE_"):
        return True
    try:
        return bool(settings.getbool("AUTOTHROTTLE_ENABLED"))
    except ValueError:
        return True  # not a bool: refused as such by the loop


# How alike a name given on the command line must be to a known setting to be
# taken for a misspelling of it: DOWNLOAD_DELAYS, DOWNLAOD_DELAY and
# ROBOTSTXT_OBEYS are (0.93-0.97); the names of a plugin's own settings
# (PLAYWRIGHT_BROWSER_TYPE, REDIS_URL, ...) are below it against every Scrapy name.
_MISSPELT = 0.9


def misspelt_setting(name: str, known: Iterable[str]) -> str | None:
    """The known setting that `name`, unknown, misspells (another case, or a
    letter or two off), or None: a name of the operator's own components."""
    known = list(known)
    same_but_case = [k for k in known if k.upper() == name.upper()]
    if same_but_case:
        return same_but_case[0]
    close = difflib.get_close_matches(name, known, n=1, cutoff=_MISSPELT)
    return close[0] if close else None


def _known_settings() -> set[str]:
    """Scrapy's declared settings and newscrawl's settings module's."""
    from newscrawl import settings as project

    return {
        name
        for module in (default_settings, project)
        for name in dir(module)
        if name.isupper() and not name.startswith("_")
    }


def check_scrapy_values(settings: Any) -> None:
    """Raise ConfigError naming the first of Scrapy's settings in `settings` (Scrapy's
    Settings) whose value is not of its kind or out of its range, or the first
    given on the command line (-s, scrapyd's setting=) that misspells a known one:
    Scrapy takes any name, so `-s download_delay=5` crawled with no delay."""
    known = _known_settings()
    for name in list(settings):
        if (
            name not in known
            and not name.startswith(SETTING_PREFIX)  # config.py names those
            and settings.getpriority(name) == SETTINGS_PRIORITIES["cmdline"]
            and (meant := misspelt_setting(name, known))
        ):
            raise ConfigError(f"unknown setting {name} (did you mean {meant}?)")
    for name in list(settings):
        if name.startswith(SETTING_PREFIX) or settings[name] is None:
            continue
        value = settings[name]
        if name == _PER_IP:
            with warnings.catch_warnings():  # Scrapy's own, when it reads the setting
                warnings.simplefilter("ignore", ScrapyDeprecationWarning)
                per_ip = _read(settings.getint, name, value, "a whole number")
            if per_ip != 0:
                raise ConfigError(
                    f"setting {name}: {value!r}: newscrawl takes a site's requests at once"
                    " from CONCURRENT_REQUESTS_PER_DOMAIN (or a sites file's concurrency);"
                    " leave it 0"
                )
            continue
        default = getattr(default_settings, name, None)
        if name == "LOG_LEVEL":
            _check_log_level(value)
        elif isinstance(default, bool) or name in _READ_AS_BOOL:
            _read(settings.getbool, name, value, "true or false")
        elif isinstance(default, int | float):
            number = _read(settings.getfloat, name, value, "a number")
            if name in _WHOLE:
                number = _read(settings.getint, name, value, "a whole number")
            if not math.isfinite(number):
                # float() reads "inf" and "nan", which pass every comparison below
                # or mean a wait, limit or size no crawl has.
                raise ConfigError(f"setting {name}: {value!r} is not a finite number")
            if number < _AT_LEAST.get(name, number) or (name in _ABOVE_ZERO and number <= 0):
                least = f"at least {_AT_LEAST[name]}" if name in _AT_LEAST else "above 0"
                raise ConfigError(f"setting {name}: {value!r} must be {least}")
            if number > _AT_MOST.get(name, number) and _in_effect(settings, name):
                raise ConfigError(
                    f"setting {name}: {value!r} must be at most {_AT_MOST[name]:g} seconds"
                    " (a stop must fit in NEWSCRAWL_STOP_TIMEOUT)"
                )
        elif isinstance(default, dict):
            _read(settings.getdict, name, value, "a dict (JSON object)")


def _read(getter: Any, name: str, value: object, kind: str) -> Any:
    try:
        return getter(name)
    except (ValueError, TypeError):
        raise ConfigError(f"setting {name}: {value!r} is not {kind}") from None


def _check_log_level(value: object) -> None:
    if isinstance(value, int) and not isinstance(value, bool):
        return
    if not isinstance(value, str) or not isinstance(logging.getLevelName(value), int):
        levels = "CRITICAL, ERROR, WARNING, INFO or DEBUG"
        raise ConfigError(f"setting LOG_LEVEL: {value!r} is not a log level ({levels})")


# The components a crawl cannot do without, by setting: (class, what it is for,
# and when it may be left out). The *_BASE lists hold them (settings.py); a user
# who replaces a base list, or names one of them with None, would otherwise turn
# a guard off without a word: -s DOWNLOADER_MIDDLEWARES_BASE='{...}' took the
# crawl to the forbidden internal host, past robots.txt and the page budget.
_NEEDED: dict[str, list[tuple[str, str, str | None]]] = {
    "DOWNLOADER_MIDDLEWARES": [
        ("newscrawl.budget.BudgetGate", "the page budget", None),
        ("newscrawl.netguard.AddressGuard", "the address guard", "NEWSCRAWL_ADDRESS_GUARD"),
        ("newscrawl.netguard.RedirectGuard", "the address guard", "NEWSCRAWL_ADDRESS_GUARD"),
        ("newscrawl.robots.RobotsTxt", "robots.txt", "ROBOTSTXT_OBEY"),
    ],
    "EXTENSIONS": [
        ("newscrawl.runstore.RunStore", "the store", None),
        ("newscrawl.pagereader.PageReader", "the page workers", None),
    ],
    "ITEM_PIPELINES": [
        ("newscrawl.pipelines.CleaningPipeline", "the cleaning", None),
        ("newscrawl.pipelines.StorePipeline", "the store", None),
    ],
}


def check_guards(settings: Any, address_guard: bool) -> None:
    """Raise ConfigError if Scrapy's component lists in `settings` leave out one of
    newscrawl's guards or parts (a subclass will do), the duplicate filter is not
    newscrawl's, or the DNS resolver is not the address guard's, unless the
    setting that turns that guard off says so (`address_guard`:
    NEWSCRAWL_ADDRESS_GUARD as the crawl's config reads it)."""
    on = {
        "NEWSCRAWL_ADDRESS_GUARD": address_guard,
        "ROBOTSTXT_OBEY": settings.getbool("ROBOTSTXT_OBEY"),
    }
    for setting, needed in _NEEDED.items():
        names = build_component_list(settings.getwithbase(setting))
        classes = [_loaded(name, setting) for name in names]
        for path, purpose, off_switch in needed:
            if off_switch is not None and not on[off_switch]:
                continue
            wanted = load_object(path)
            if not any(isinstance(c, type) and issubclass(c, wanted) for c in classes):
                how = f", or set {off_switch}=False to do without it" if off_switch else ""
                raise ConfigError(
                    f"setting {setting}: it leaves out {path} ({purpose}); name it"
                    f" there with an order, not None{how}"
                )
    # Each URL once a run: with another filter (Scrapy's BaseDupeFilter lets every
    # request through) a page was fetched once per link to it, and its article
    # written as many times to JSON Lines, which has no key to keep one by (the
    # store has). No setting turns this off: a crawl that fetches a page twice
    # is no politer for it, and the output must not depend on the filter.
    dupefilter = _loaded(settings.get("DUPEFILTER_CLASS"), "DUPEFILTER_CLASS")
    if not (isinstance(dupefilter, type) and issubclass(dupefilter, URLDupeFilter)):
        raise ConfigError(
            "setting DUPEFILTER_CLASS: newscrawl needs newscrawl.dupefilter.URLDupeFilter"
            " or a subclass of it (each URL fetched, and its article written, once a run)"
        )
    if address_guard:
        name = _resolver_setting(settings)
        with warnings.catch_warnings():  # Scrapy's own, when it reads DNS_RESOLVER
            warnings.simplefilter("ignore", ScrapyDeprecationWarning)
            resolver = _loaded(settings.get(name), name)
        if not (isinstance(resolver, type) and issubclass(resolver, GuardedResolver)):
            raise ConfigError(
                f"setting {name}: the address guard needs"
                " newscrawl.netguard.GuardedResolver or a subclass of it;"
                " set NEWSCRAWL_ADDRESS_GUARD=False to crawl without the guard"
            )


def _resolver_setting(settings: Any) -> str:
    """The setting whose resolver the crawl will use: Scrapy (2.19) still takes the
    deprecated DNS_RESOLVER, when it is set above its default, over a
    TWISTED_DNS_RESOLVER of lower priority."""
    old = settings.getpriority("DNS_RESOLVER") or 0
    if old > SETTINGS_PRIORITIES["default"] and old >= (
        settings.getpriority("TWISTED_DNS_RESOLVER") or 0
    ):
        return "DNS_RESOLVER"
    return "TWISTED_DNS_RESOLVER"


def _loaded(name: object, setting: str) -> Any:
    if not isinstance(name, str):
        return name  # a class given as an object
    try:
        return load_object(name)
    except (ImportError, NameError, ValueError, AttributeError) as exc:
        raise ConfigError(f"setting {setting}: cannot load {name}: {exc}") from None
