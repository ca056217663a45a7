import pytest

from newscrawl.cleaning.timestamps import is_timestamp


@pytest.mark.parametrize(
    "line",
    [
        "monday, 22 january 2018 at 0:13",
        "updated 5 hours ago",
        "14:32 gmt",
        "22/01/2018 às 10:00",
        "published 3 mar 2026",
    ],
)
def test_dates_and_times(line):
    assert is_timestamp(line)


@pytest.mark.parametrize(
    "line",
    [
        "02-751-1500",
        "monday was cold",
        "may 2026 be kind",
        "the 3 of us left on 22 january to sail north for the summer season",
    ],
)
def test_not_only_a_date(line):
    assert not is_timestamp(line)
