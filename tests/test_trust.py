"""The site is the trust boundary (issue 13, faults F27-F35): what one site serves
cannot touch another site, the intranet, or robots.txt's word. The scenarios live
in tests/trustcases.py, shared with the report script bench/faults.py."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from . import trustcases as cases
from .faultcases import Verdict
from .trustsite import TrustSite


@pytest.fixture(scope="module")
def site() -> Iterator[TrustSite]:
    with cases.trust_site() as hostile:
        yield hostile


def _check(verdicts: list[Verdict]) -> None:
    for verdict in verdicts:
        assert verdict.survived, f"{verdict.fault} {verdict.title}: the crawler did not finish"
        assert not verdict.problems, f"{verdict.fault} {verdict.title}: {verdict.problems}"


SCENARIOS: dict[str, Callable[[TrustSite, Path], list[Verdict]]] = {
    "robots": cases.robots_scenario,
    "canonical": cases.canonical_scenario,
    "sibling": cases.sibling_scenario,
    "internal": cases.internal_scenario,
    "starvation": cases.starvation_scenario,
    "budget": cases.budget_scenario,
    "idn": cases.idn_scenario,
    "credentials": cases.credentials_scenario,
    # Issue 15: pages too big for one process, beside a healthy site.
    "heavy": cases.heavy_scenario,
    # A site whose pages each cost a worker seconds, beside a healthy site.
    "grind": cases.grind_scenario,
}


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_one_site_cannot_cross_into_another(scenario: str, site: TrustSite, tmp_path: Path) -> None:
    _check(SCENARIOS[scenario](site, tmp_path))


def test_the_front_page_in_any_spelling_is_no_canonical_a_page_may_name() -> None:
    """e70b8f8 refused the site's root alone as an article's canonical URL:
    "/index.php" or "/?lang=en" made every article one row all the same (found
    by the review of that commit). A section's home ("/blog/") is not refused:
    an article's permalink ends in "/" too, and its AMP, print and comment pages
    below it name it rightly (a second review found 9024216 refusing those)."""
    from newscrawl.article import trusted_canonical

    site = "http://news.test"
    refused = [
        ("/", "/2026/03/story.html"),
        ("/index.php", "/story.php"),
        ("/home.html", "/story-1"),
        ("/?lang=en", "/en/story-3"),
        ("/?utm_source=rss", "/story-4"),
        ("/", "/?p=123"),
    ]
    allowed = [
        ("/", "/"),
        ("/", "/index.html"),
        ("/?lang=en", "/?lang=en"),
        ("/?p=123", "/?p=123&utm_source=x"),
        ("/story/123/", "/story/123/amp/"),
        ("/story/123/", "/story/123/print/"),
        ("/story/123/", "/story/123/?ref=rss"),
        ("/2026/05/my-story/", "/2026/05/my-story/2/"),
        ("/news/story", "/news/story/"),
    ]
    for canonical, page in refused:
        assert not trusted_canonical(site + canonical, site + page, {}), (canonical, page)
    for canonical, page in allowed:
        assert trusted_canonical(site + canonical, site + page, {}), (canonical, page)


def test_a_canonical_url_longer_than_any_request_is_refused_and_counted() -> None:
    """A page of its own site declared a canonical URL of 1,000,000 characters:
    it became the article's key, and every fingerprint row of the site model
    (site_paragraphs) repeats its key: three such pages of 3,000 paragraphs made
    an 8.5 GB store and held the crawl 3 min 50 s (70 s user, 91 s system CPU)."""
    from newscrawl.article import MAX_CANONICAL_CHARS, build_article, trusted_canonical
    from newscrawl.readings import Extraction

    site, page = "http://news.test", "http://news.test/story/1.html"
    huge = f"{site}/story/1/{'a' * 1_000_000}"
    assert not trusted_canonical(huge, page, {})
    longest = f"{site}/story/1/".ljust(MAX_CANONICAL_CHARS, "a")
    assert trusted_canonical(longest, page, {})
    item = build_article(Extraction(text="A story.", canonical_url=huge), page, "2026-12-02")
    assert item.canonical_url == page
    assert item.hints["canonical_refused"] == huge  # what the spider counts
