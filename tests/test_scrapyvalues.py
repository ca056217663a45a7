"""Scrapy's own settings, checked before a crawl starts (newscrawl/scrapyvalues.py):
on real Scrapy Settings, as `-s NAME=VALUE` gives them (strings)."""

import pytest
from scrapy.settings import Settings

from newscrawl.config import ConfigError
from newscrawl.scrapyvalues import check_scrapy_values


def settings(**values: object) -> Settings:
    s = Settings()
    s.setmodule("newscrawl.settings")
    s.setdict(values, priority="cmdline")
    return s


def test_newscrawls_own_settings_pass():
    check_scrapy_values(settings())


# Settings for which Scrapy reads 0 as "none" or "no limit": below 0 means nothing.
AT_LEAST_ZERO = [
    "AUTOTHROTTLE_MAX_DELAY", "AUTOTHROTTLE_START_DELAY", "CLOSESPIDER_ERRORCOUNT",
    "CLOSESPIDER_ITEMCOUNT", "CLOSESPIDER_PAGECOUNT", "CLOSESPIDER_PAGECOUNT_NO_ITEM",
    "CLOSESPIDER_TIMEOUT", "CLOSESPIDER_TIMEOUT_NO_ITEM", "DNSCACHE_SIZE", "DOWNLOAD_DELAY",
    "DOWNLOAD_DELAY_JITTER", "DOWNLOAD_MAXSIZE", "DOWNLOAD_WARNSIZE",
    "FEED_EXPORT_BATCH_ITEM_COUNT", "HTTPCACHE_EXPIRATION_SECS", "LOGSTATS_INTERVAL",
    "MEMUSAGE_LIMIT_MB", "MEMUSAGE_WARNING_MB", "METAREFRESH_MAXDELAY", "REDIRECT_MAX_TIMES",
    "RETRY_TIMES", "URLLENGTH_LIMIT",
]  # fmt: skip


@pytest.mark.parametrize("name", AT_LEAST_ZERO)
def test_a_negative_count_size_or_time_is_refused_and_0_is_not(name: str):
    """Before: -s DOWNLOAD_MAXSIZE=-5 passed, every response was refused as too big,
    and the run exited 1, "could not be reached"; the others passed too."""
    with pytest.raises(ConfigError, match=f"^setting {name}: '-1' must be at least 0$"):
        check_scrapy_values(settings(**{name: "-1"}))
    check_scrapy_values(settings(**{name: "0"}))


@pytest.mark.parametrize(
    "name",
    ["AUTOTHROTTLE_TARGET_CONCURRENCY", "DNS_TIMEOUT", "MEMUSAGE_CHECK_INTERVAL_SECONDS"],
)
@pytest.mark.parametrize("value", ["0", "-1"])
def test_a_time_or_target_of_0_or_less_is_refused(name: str, value: str):
    """Before: AutoThrottle turned itself off at a target of 0; a DNS timeout of 0
    failed every lookup; a memory check every 0 s ran without pause."""
    with pytest.raises(ConfigError, match=f"^setting {name}: '{value}' must be above 0$"):
        check_scrapy_values(settings(**{name: value}))


def test_threads_must_be_at_least_one():
    with pytest.raises(ConfigError, match="REACTOR_THREADPOOL_MAXSIZE: '0' must be at least 1"):
        check_scrapy_values(settings(REACTOR_THREADPOOL_MAXSIZE="0"))


@pytest.mark.parametrize("value", ["-1", "4"])
def test_a_per_ip_concurrency_is_refused_with_what_to_use_instead(value: str):
    """Before: -1 passed the check (Scrapy 2.19 no longer declares the setting, and
    reading its default warned), and newscrawl's scheduler queue refused it while
    the crawl started, in a page of tracebacks."""
    with pytest.raises(ConfigError, match="CONCURRENT_REQUESTS_PER_DOMAIN") as error:
        check_scrapy_values(settings(CONCURRENT_REQUESTS_PER_IP=value))
    assert str(error.value).startswith(f"setting CONCURRENT_REQUESTS_PER_IP: '{value}': ")
    check_scrapy_values(settings(CONCURRENT_REQUESTS_PER_IP="0"))


@pytest.mark.parametrize(
    "name", ["DOWNLOAD_DELAY", "DOWNLOAD_TIMEOUT", "AUTOTHROTTLE_MAX_DELAY", "CLOSESPIDER_TIMEOUT"]
)
@pytest.mark.parametrize("value", ["nan", "inf", "-inf"])
def test_nan_and_inf_are_not_numbers_a_crawl_can_use(name: str, value: str):
    """Before: float() read them, nan passed every range check and inf every lower
    bound (-s DOWNLOAD_DELAY=inf held the first request for ever)."""
    with pytest.raises(ConfigError, match=f"^setting {name}: '{value}' is not a finite number$"):
        check_scrapy_values(settings(**{name: value}))


@pytest.mark.parametrize(
    "name", ["DOWNLOAD_DELAY", "AUTOTHROTTLE_START_DELAY", "AUTOTHROTTLE_MAX_DELAY"]
)
def test_a_delay_past_30_seconds_is_refused(name: str):
    """Before: -s DOWNLOAD_DELAY=1e308 passed and the crawl never sent a request;
    a delay past the bound made a stop outlast NEWSCRAWL_STOP_TIMEOUT."""
    for value in ("1e308", "30.5"):
        with pytest.raises(ConfigError, match=f"^setting {name}: '{value}' must be at most 30 "):
            check_scrapy_values(settings(**{name: value}))
    check_scrapy_values(settings(**{name: "30"}))
    if name.startswith("AUTOTHROTTLE_"):  # no wait at all with AutoThrottle off
        check_scrapy_values(settings(**{name: "60", "AUTOTHROTTLE_ENABLED": "False"}))


def test_a_yes_or_no_setting_declared_with_a_number_is_read_as_yes_or_no():
    """Scrapy declares TELNETCONSOLE_ENABLED = 1 and reads it with getbool: the
    README's `-s TELNETCONSOLE_ENABLED=True` was refused as "not a number"."""
    for value in ("True", "false", "1", "0"):
        check_scrapy_values(settings(TELNETCONSOLE_ENABLED=value))
    with pytest.raises(ConfigError, match=r"^setting TELNETCONSOLE_ENABLED: 'maybe' is not true"):
        check_scrapy_values(settings(TELNETCONSOLE_ENABLED="maybe"))
