from pathlib import Path

import pytest
from scrapy.settings import Settings

from newscrawl.config import ConfigError, NewscrawlConfig

from .conftest import FAST, run


def settings(**values) -> Settings:
    s = Settings()
    s.setmodule("newscrawl.settings")
    s.update(values)
    return s


def test_defaults_come_from_the_settings_module():
    config = NewscrawlConfig.from_settings(settings())
    assert config.min_words == 15 and config.max_pages == 0 and config.sqlite_path is None


def test_values_are_converted():
    config = NewscrawlConfig.from_settings(
        settings(NEWSCRAWL_MIN_WORDS="40", NEWSCRAWL_SQLITE_PATH="out/x.sqlite",
                 NEWSCRAWL_FRAGMENT_PATTERNS="from the archive\nlisten now")
    )  # fmt: skip
    assert config.min_words == 40
    assert str(config.sqlite_path) == "out/x.sqlite"
    assert config.fragment_patterns == ("from the archive", "listen now")
    assert config.make_cleaner().fragments.matches("Listen now")
    assert config.make_cleaner().min_words == 40


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("NEWSCRAWL_MIN_WORDS", "many", "NEWSCRAWL_MIN_WORDS='many'"),
        ("NEWSCRAWL_MAX_PAGES", -1, "must be 0 or more"),
        ("NEWSCRAWL_SQLITE_COMMIT_EVERY", 0, "must be 1 or more"),
        # Every worker died on its first page, and with it the pool.
        ("NEWSCRAWL_WORKER_MEMORY_MB", 100, "must be 0 .no limit. or at least 384"),
        # float() reads these; nan passed every check, inf was an endless wait.
        ("NEWSCRAWL_STOP_TIMEOUT", "nan", "NEWSCRAWL_STOP_TIMEOUT='nan': must be a finite number"),
        ("NEWSCRAWL_EXTRACT_TIMEOUT", "inf", "must be a finite number"),
        ("NEWSCRAWL_MAX_RETRY_AFTER", "nan", "must be a finite number"),
        # The pause holds the site's requests, and a stop waits for them: 600 s
        # cut a stop short at 60 s, exit 3.
        ("NEWSCRAWL_MAX_RETRY_AFTER", 600, "must be at most 30 seconds"),
        ("NEWSCRAWL_CLUSTER_WAIT", float("inf"), "must be a finite number"),
        (
            "NEWSCRAWL_FRAGMENT_PATTERNS",
            ["(oops"],
            "NEWSCRAWL_FRAGMENT_PATTERNS: invalid fragment pattern",
        ),
        (  # OverflowError from re, not re.error: it was a traceback
            "NEWSCRAWL_FRAGMENT_PATTERNS",
            ["a{4294967296}"],
            "NEWSCRAWL_FRAGMENT_PATTERNS: invalid fragment pattern",
        ),
    ],
)
def test_bad_values_name_the_setting(name, value, message):
    with pytest.raises(ConfigError, match=message.replace("(", r"\(")):
        NewscrawlConfig.from_settings(settings(**{name: value}))


@pytest.mark.parametrize(
    ("setting", "said"),
    [
        # setitimer(2) in every worker failed (OverflowError), each page a traceback,
        # and the crawl exited 0 having stored nothing.
        ("NEWSCRAWL_EXTRACT_TIMEOUT=1e10", "must be at most 2.592e+06 seconds"),
        # The stop watchdog's thread died at the first Ctrl-C, with a traceback.
        ("NEWSCRAWL_STOP_TIMEOUT=1e10", "must be at most 2.592e+06 seconds"),
        # setrlimit(2) refused it in every worker as it started: exit 5, tracebacks.
        ("NEWSCRAWL_WORKER_MEMORY_MB=99999999999999999", "must be at most 1048576"),
    ],
)
def test_a_setting_too_big_for_its_timer_or_limit_stops_the_crawl_before_it_starts(
    site_url: str, tmp_path: Path, setting: str, said: str
):
    result = run(
        "newscrawl", "crawl", site_url, "--db", str(tmp_path / "a.sqlite"),
        "--workers", "1", "-s", setting, *FAST,
    )  # fmt: skip
    stderr = result.stderr.decode()
    assert result.returncode == 2, stderr
    assert "Traceback" not in stderr
    name = setting.split("=")[0]
    assert stderr.strip().splitlines()[-1].startswith(f"newscrawl: error: setting {name}="), stderr
    assert said in stderr
