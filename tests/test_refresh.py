"""When a sitemap's lastmod says a stored article changed (newscrawl/refresh.py)."""

from datetime import UTC, datetime, timedelta

from newscrawl.refresh import listed_as_changed

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
FETCHED = NOW - timedelta(days=1)


def test_a_lastmod_after_the_last_fetch_is_a_change():
    assert listed_as_changed(NOW - timedelta(hours=1), FETCHED, NOW)
    assert not listed_as_changed(FETCHED, FETCHED, NOW)
    assert not listed_as_changed(FETCHED - timedelta(days=3), FETCHED, NOW)


def test_without_a_lastmod_or_a_fetch_time_nothing_changed():
    assert not listed_as_changed(None, FETCHED, NOW)
    assert not listed_as_changed(NOW, None, NOW)


def test_a_lastmod_in_the_future_is_no_change_until_its_time_comes():
    """9999-12-31 had the article fetched again on every run, for ever (found by a
    hostile-site session)."""
    future = NOW + timedelta(hours=3)
    assert not listed_as_changed(future, FETCHED, NOW)
    assert not listed_as_changed(datetime(9999, 12, 31, tzinfo=UTC), FETCHED, NOW)
    assert listed_as_changed(future, FETCHED, future + timedelta(minutes=1))
