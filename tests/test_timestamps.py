import pytest

from newscrawl.cleaning.timestamps import is_period, is_timestamp


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


@pytest.mark.parametrize(
    "line",
    [
        # Date lines in the languages whose month names came later (lines written
        # for these tests), as the cleaner asks: case-folded.
        "20 ноября 2026, 10:42",
        "обновлено 20 ноября 2026 г. в 10:42",
        "субота, 21 листопада 2026 о 10:42",
        "آخر تحديث: 20 نوفمبر 2026 - 10:42",
        "الجمعة 20 تشرين الثاني 2026",
        "٢٠ نوفمبر ٢٠٢٦",
        "עודכן ב-20 בנובמבר 2026, 10:42",
        "20 kasım 2026 cuma, 10:42",
        "20 kasim 2026 cuma",  # "KASIM" casefolds without the dotless "ı"
        "ni\u0307san 2026",  # and "NİSAN" with a combining dot
        "vrijdag 20 november 2026, bijgewerkt om 10:42",
        "20 maart 2026",
        "piątek, 20 listopada 2026 r., godz. 10:42",
    ],
)
def test_dates_in_more_languages(line):
    assert is_timestamp(line)


@pytest.mark.parametrize(
    "line",
    [
        "20 марта в москве открылся новый мост",
        "nisan ayında 20 kişi geldi",
        "maart 2026 was de koudste maand",
        "في 20 نوفمبر افتتح الجسر الجديد",
        # A letter alone joins a date ("2026 r.") and makes none: a price, a score.
        "r : 50,000",
        "5 y 1",
    ],
)
def test_not_only_a_date_in_more_languages(line):
    assert not is_timestamp(line)


@pytest.mark.parametrize(
    "line",
    [
        # An event's period: two dates, no word saying which is the page's.
        "29 november 2018 | 20 january 2019",
        "12 march – 30 june 2026",
        "12 mars 2026 - 30 juin 2026",
        "12. märz 2026 - 30. juni 2027",
        "12 ноября 2026 – 20 января 2027",
        "12 kasim 2026 - 20 aralik 2026",  # Turkish capitals, casefolded
    ],
)
def test_an_events_period_is_a_period(line):
    assert is_timestamp(line)
    assert is_period(line)


@pytest.mark.parametrize(
    "line",
    [
        "monday, 2 march 2026",
        "published 3 march 2026 | updated 4 march 2026",
        "опубликовано 20 ноября 2026, обновлено 21 ноября 2026",
        "الجمعة 20 تشرين الثاني 2026",  # a Levantine month's name is two words
        "20 kasım 2026 cuma, 10:42",
    ],
)
def test_a_date_line_is_no_period(line):
    assert is_timestamp(line)
    assert not is_period(line)
