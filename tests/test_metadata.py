"""newscrawl reads only the metadata it stores: as trafilatura does, then corrected
(authors are people, dates keep their time and zone, the page before its URL)."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import htmldate
import pytest
import trafilatura
from lxml.html import HtmlElement
from trafilatura.json_metadata import normalize_json
from trafilatura.metadata import JSON_MINIFY, extract_metadata

import newscrawl.metadata
from newscrawl.metadata import (
    BROKEN_JSON_LD_CHARS,
    BYLINE_IN_ONE_WALK,
    DATE_LANGUAGES_USED_MOST,
    DATES_IN_PAGE_LANGUAGES,
    _byline,
    people,
    read_metadata,
    stated_published,
)

from .conftest import REPO

# The fields newscrawl takes from trafilatura's readers as they are.
FIELDS = ("title", "description", "sitename")

WITH_META = """<html><head><title>Harbour crane fails | Coastline Courier</title>
<meta name="description" content="A crane at the north pier stopped mid-lift.">
<meta property="og:site_name" content="coastline courier">
<meta property="article:published_time" content="2026-10-14T08:30:00Z">
<script type="application/ld+json">{"@context": "https://schema.org",
 "@type": "NewsArticle", "headline": "Harbour crane fails during a night lift",
 "author": [{"@type": "Person", "name": "Ines Marlow"},
            {"@type": "Person", "name": "Tomas Reyes"}]}</script>
</head><body><article><h1>Harbour crane fails during a night lift</h1>
<p>The crane at the north pier stopped halfway through lifting a container.</p>
</article></body></html>"""

BARE = """<html><head><title>Council delays the vote on the new bridge</title></head>
<body><div class="byline">By Ada Quinn</div><p>Posted 3 March 2025</p>
<p>The council postponed the bridge vote to its next session.</p></body></html>"""


@pytest.mark.parametrize("page", [WITH_META, BARE], ids=["with-meta", "bare"])
def test_the_fields_newscrawl_keeps_are_those_trafilatura_finds(page: str) -> None:
    url = "https://www.coastline.test/news/crane.html"
    ours = read_metadata(trafilatura.load_html(page), url)
    theirs = extract_metadata(trafilatura.load_html(page), url)
    assert {f: getattr(ours, f) for f in FIELDS} == {f: getattr(theirs, f) or None for f in FIELDS}


def test_metadata_of_a_page_with_meta_tags_and_json_ld() -> None:
    meta = read_metadata(trafilatura.load_html(WITH_META), "https://coastline.test/n/1")
    assert meta.title == "Harbour crane fails during a night lift"
    assert meta.author == "Ines Marlow; Tomas Reyes"
    assert meta.date == "2026-10-14T08:30:00+00:00"
    assert meta.description == "A crane at the north pier stopped mid-lift."
    assert meta.sitename == "Coastline Courier"


def test_a_page_without_a_site_name_is_named_after_its_host() -> None:
    meta = read_metadata(trafilatura.load_html(BARE), "https://www.coastline.test/n/2")
    assert meta.title == "Council delays the vote on the new bridge"
    assert meta.sitename == "coastline.test"


def _page(head: str = "", body: str = "", ld: dict[str, object] | None = None) -> HtmlElement:
    script = f'<script type="application/ld+json">{json.dumps(ld)}</script>' if ld else ""
    return trafilatura.load_html(
        f"<html><head><title>Ferry fares rise</title>{head}{script}</head><body><article>"
        f"<h1>Ferry fares rise</h1>{body}<p>The island ferry will cost a pound more from May, "
        "the operator said.</p></article></body></html>"
    )


COURIER = "https://www.courier.test/news/ferry-fares.html"


def _name(number: int) -> str:
    """A made-up surname of three letters for `number` (below 26 ** 3): none
    holds another (trafilatura keeps the fullest form of names), and no digits
    (it drops them)."""
    letters = ""
    for _ in range(3):
        number, rest = divmod(number, 26)
        letters += "abcdefghijklmnopqrstuvwxyz"[rest]
    return "Lee" + letters


def test_a_broken_json_ld_block_is_searched_for_bylines_in_its_start_only() -> None:
    # Not JSON (never closed): trafilatura searches its text for names, in time
    # that grows faster than their square (6,000 names: over 10 minutes, a page
    # lost to the worker's bound). Only its first BROKEN_JSON_LD_CHARS are searched.
    listed = [f"Ann {_name(n)}" for n in range(1_500)]
    people = ",".join(f'{{"@type": "Person", "name": "{name}"}}' for name in listed)
    page = _page(
        f'<script type="application/ld+json">{{"@type": "NewsArticle", "author": [{people}]'
        "</script>"
    )
    authors = (read_metadata(page, COURIER).author or "").split("; ")
    assert authors[0] == "Ann Leeaaa"
    assert 100 < len(authors) < len(listed) // 2  # its first names, not all of them
    assert listed[-1] not in authors


def test_broken_json_ld_blocks_share_one_page_wide_bound() -> None:
    # Each block was cut at BROKEN_JSON_LD_CHARS, but a page may hold many: six
    # broken blocks just under the cut took about 9 s of CPU (over a worker's 8 s
    # bound: the page lost), one of them 1.5 s. Their starts share the bound now.
    listed = [f"Ann {_name(n)}" for n in range(1_500)]
    people = ",".join(f'{{"@type": "Person", "name": "{name}"}}' for name in listed)
    block = f'{{"@type": "NewsArticle", "author": [{people}]'[: BROKEN_JSON_LD_CHARS - 10]
    page = _page(f'<script type="application/ld+json">{block}</script>' * 6)
    started = time.process_time()
    authors = (read_metadata(page, COURIER).author or "").split("; ")
    assert time.process_time() - started < 4
    assert authors[0] == "Ann Leeaaa"


def test_json_ld_blocks_short_together_are_not_judged(monkeypatch) -> None:
    # Blocks that hold no more than the bound together cannot be cut, broken or
    # not: judging each as JSON was a second reading of every article's JSON-LD.
    judged: list[str] = []
    is_json = newscrawl.metadata._is_json
    monkeypatch.setattr(newscrawl.metadata, "_is_json", lambda t: judged.append(t) or is_json(t))
    broken = '<script type="application/ld+json">{"@type": "NewsArticle", "author": "%s"</script>'
    page = _page(broken % "Ann Lee" * 3)
    assert newscrawl.metadata._meta_json_input(page) is page
    assert judged == []
    # Past the bound together, each block is judged (and the broken ones cut).
    newscrawl.metadata._meta_json_input(_page(broken % ("x" * (BROKEN_JSON_LD_CHARS // 2)) * 3))
    assert len(judged) == 3


def _long_story_block(author: str) -> str:
    """A JSON-LD block longer than BROKEN_JSON_LD_CHARS that trafilatura reads as JSON
    once it has minified and normalized it (its byline at the end)."""
    story = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "description": "The ferry. " * 2_500,
    }
    return json.dumps({**story, "author": {"@type": "Person", "name": author}})


# A block that needs no cutting beside one that does: the first must be read as
# trafilatura reads it from the page, after its own normalization.
_BROKEN_BESIDE = '<script type="application/ld+json">{"author": "' + "y" * 30_000 + "</script>"


@pytest.mark.parametrize(
    "block",
    [
        # a comment after the object: trafilatura strips it (tags) before reading JSON
        _long_story_block("Ines Marlow") + "<!-- schema plugin -->",
        # HTML-escaped quotes with an escaped slash: unescaped before reading JSON
        _long_story_block("Ines Marlow").replace('"', "&quot;") + r"<!-- \/ -->",
    ],
    ids=["trailing-comment", "html-entities"],
)
def test_a_json_ld_block_trafilatura_reads_as_json_is_not_cut(block: str) -> None:
    page = _page(f'<script type="application/ld+json">{block}</script>{_BROKEN_BESIDE}')
    # (trafilatura's unescaping takes the space of the second out)
    assert "".join((read_metadata(page, COURIER).author or "").split()) == "InesMarlow"


def test_a_long_broken_block_of_unclosed_tags_is_judged_in_linear_time() -> None:
    # Whether a long block is JSON is asked of the text trafilatura reads, whose
    # tag stripping (a regular expression) scans to the end for every "<" that
    # opens no tag: 20,000 "<!--" took 7 s of CPU to judge, 40,000 about 30 s
    # (past a worker's bound), where the cut block trafilatura reads takes 0.6 s.
    block = '{"@type": "NewsArticle", "author": {"name": "Ann Lee"}, "x": "' + "<!--" * 40_000
    page = _page(f'<script type="application/ld+json">{block}</script>')
    started = time.process_time()
    assert read_metadata(page, COURIER).author == "Ann Lee"
    assert time.process_time() - started < 4


@pytest.mark.parametrize(
    "text",
    [
        '{"a": "b"}<!-- x -->',
        '{"a": "b <i>c</i>"}',
        '{"a": "x < y"}',
        '{"a": "<!-- a\n -->"}',
        '{"a": "<!-- -- > -->"}',
        '{"a": "<!---->", "b": "<!-->"}',
        "{&quot;a&quot;: &quot;\\u0041&lt;b&gt;\\n&quot;}",
        '{"a": "<<<>"}',
        '{"a": "b"',
        '["<!--", "-->"]',
        "<!--\n-->[1]",
    ],
)
def test_a_block_is_json_exactly_when_trafilatura_reads_it_as_json(text: str) -> None:
    try:
        json.loads(normalize_json(JSON_MINIFY.sub(r"\1", text)), strict=False)
        expected = True
    except ValueError:
        expected = False
    assert newscrawl.metadata._is_json(text) is expected


def test_an_address_in_the_author_meta_is_not_an_author() -> None:
    page = _page(
        '<meta name="author" content="The Harbour Courier https://www.courier.test">'
        '<meta property="og:site_name" content="The Harbour Courier">',
        ld={"@type": "NewsArticle", "author": [{"@type": "Person", "name": "Ines Marlow"}]},
    )
    assert read_metadata(page, COURIER).author == "Ines Marlow"


def test_the_publisher_beside_the_person_the_json_ld_names_is_not_an_author() -> None:
    page = _page(
        '<meta name="author" content="Coastline Media Group">'
        '<meta property="article:author" content="Tomas Reyes">',
        ld={"@type": "NewsArticle", "author": {"@type": "Person", "name": "Tomas Reyes"},
            "publisher": {"@type": "Organization", "name": "The Harbour Courier"}},
    )  # fmt: skip
    assert read_metadata(page, COURIER).author == "Tomas Reyes"


def test_with_no_person_named_the_organisation_is_the_author() -> None:
    publisher = {"@type": "Organization", "name": "The Harbour Courier"}
    staff = _page(ld={"@type": "NewsArticle", "author": {"@type": "Person", "name": "Staff"},
                      "publisher": publisher})  # fmt: skip
    assert read_metadata(staff, COURIER).author == "The Harbour Courier"
    wire = _page(ld={"@type": "NewsArticle", "publisher": publisher,
                     "author": {"@type": "Organization", "name": "Coastal Press Agency"}})  # fmt: skip
    assert read_metadata(wire, COURIER).author == "Coastal Press Agency"
    # The JSON-LD names the site as the author; the publisher's group in the author
    # meta is not made a person for it.
    site = _page('<meta name="author" content="Coastline Media Group">',
                 ld={"@type": "NewsArticle", "publisher": publisher,
                     "author": {"@type": "Person", "name": "The Harbour Courier"}})  # fmt: skip
    assert read_metadata(site, COURIER).author == "The Harbour Courier"
    # No author at all stays none: the publisher is not made up as one.
    assert (
        read_metadata(_page(ld={"@type": "NewsArticle", "publisher": publisher}), COURIER).author
        is None
    )


def test_names_are_freed_of_what_bylines_put_around_them() -> None:
    assert people(["Analysis by Ines Marlow", "Harbour News Staff"], [], ["Harbour News"]) == [
        "Ines Marlow"
    ]
    assert people(["TOMAS REYES"], [], []) == ["Tomas Reyes"]
    assert people(["Ada Quinn Monday", "November"], [], []) == ["Ada Quinn"]
    assert people(["Ada Quinn is a reporter for the Courier"], [], []) == ["Ada Quinn"]
    assert people(["Ada Quinn", "Courier Business"], [], ["The Courier"], "courier") == [
        "Ada Quinn"
    ]


def test_the_published_time_keeps_its_time_and_zone() -> None:
    page = _page('<meta property="article:published_time" content="2024-02-28T11:35:52+0000">')
    assert read_metadata(page, COURIER).date == "2024-02-28T11:35:52+00:00"
    # Of several statements the most precise: the JSON-LD has the zone, the meta not.
    page = _page(
        '<meta property="article:published_time" content="2024-02-28T11:35:52">',
        ld={"@type": "NewsArticle", "datePublished": "2024-02-28T11:35:52.120-05:00"},
    )
    assert read_metadata(page, COURIER).date == "2024-02-28T11:35:52-05:00"
    # A date stated without a time stays a date.
    page = _page(ld={"@type": "NewsArticle", "datePublished": "2024-02-28"})
    assert stated_published(page) == "2024-02-28"


def test_the_page_s_own_date_comes_before_a_date_in_its_url() -> None:
    url = "https://www.courier.test/2019/01/05/ferry-fares.html"
    stated = _page('<meta property="article:published_time" content="2024-02-28T09:00:00Z">')
    assert read_metadata(stated, url).date == "2024-02-28T09:00:00+00:00"
    # A date only in the page's text (htmldate's reading) also comes before the URL's.
    printed = _page(body='<p class="date">Published on 28 February 2024</p>')
    assert read_metadata(printed, url).date == "2024-02-28"
    # And when the page says nothing, the URL's date is better than none.
    assert read_metadata(_page(), url).date == "2019-01-05"


def test_an_impossible_stated_day_gives_no_date() -> None:
    # htmldate read the stated "2026-02-30" loosely and gave 2026-02-01, a day the
    # page never states, which then decided --since.
    impossible = (
        "2026-02-30T10:00:00Z", "2026-02-30", "2026-13-45", "2026-02-30T10:00:00+25:00",
        "2026/02/30", "2026-2-30", "2026-02-30 10:00", "Mon, 30 Feb 2026 10:00:00 GMT",
        "30.02.2026", "31/04/2026",
    )  # fmt: skip
    for stated in impossible:
        page = _page(f'<meta property="article:published_time" content="{stated}">')
        metadata = read_metadata(page, COURIER)
        assert (metadata.date, metadata.date_from) == (None, None), stated
        # The day its sitemap or feed gives it still counts.
        metadata = read_metadata(page, COURIER, discovered_date="2026-02-27")
        assert metadata.date == "2026-02-27", stated
    page = _page(ld={"@type": "NewsArticle", "datePublished": "2026-02-30"})
    assert read_metadata(page, COURIER).date is None
    # A placeholder that is a real day (out of the years kept) is only no statement:
    # the page's text is still searched.
    printed = '<p class="date">Published on 28 February 2024</p>'
    for placeholder in ("0001-01-01", "0000-00-00 00:00:00", "2024-00-00", "00.00.0000"):
        page = _page(f'<meta property="article:published_time" content="{placeholder}">',
                     body=printed)  # fmt: skip
        assert read_metadata(page, COURIER).date == "2024-02-28", placeholder
    # A day either way round is a day ("02/03/2026"): htmldate still reads it.
    page = _page('<meta property="article:published_time" content="02/03/2026">', body=printed)
    assert read_metadata(page, COURIER).date == "2026-03-02"


def test_a_page_that_gives_no_date_is_searched_once(monkeypatch: pytest.MonkeyPatch) -> None:
    searched: list[HtmlElement] = []

    def find_date(page: HtmlElement, **params: object) -> str | None:
        searched.append(page)
        return htmldate.find_date(page, **params)  # type: ignore[arg-type]

    monkeypatch.setattr(newscrawl.metadata, "find_date", find_date)
    page = _page()
    assert read_metadata(page, "https://www.courier.test/2019/01/05/ferry-fares.html").date == (
        "2019-01-05"
    )
    assert read_metadata(page, "https://www.courier.test/news/ferry-fares.html").date is None
    assert [p for p in searched if p is page] == [page, page]  # once for each reading


def test_of_equally_precise_statements_the_most_explicit_kind_wins_wherever_it_stands() -> None:
    # Open Graph, then schema.org on a <meta>, then on a <time>, then the old pubdate
    # meta: whatever order the page writes them in (all dates without a time here).
    statements = {
        "og": '<meta property="article:published_time" content="2024-03-01">',
        "meta": '<meta itemprop="datePublished" content="2024-03-02">',
        "pubdate": '<meta name="pubdate" content="2024-03-04">',
    }
    time = '<time itemprop="datePublished" datetime="2024-03-03">3 March</time>'
    page = _page(statements["pubdate"] + statements["meta"] + statements["og"], body=time)
    assert stated_published(page) == "2024-03-01"
    page = _page(statements["pubdate"] + statements["meta"], body=time)
    assert stated_published(page) == "2024-03-02"
    assert stated_published(_page(statements["pubdate"], body=time)) == "2024-03-03"
    assert stated_published(_page(statements["pubdate"])) == "2024-03-04"
    # A more precise statement still beats a more explicit kind.
    page = _page(statements["og"], body=time.replace("2024-03-03", "2024-03-03T10:00:00Z"))
    assert stated_published(page) == "2024-03-03T10:00:00+00:00"


# Bylines as trafilatura's byline search finds them: each way its expressions look
# for one (an attribute value or an element), in the spelling they match.
BYLINES = [
    '<a rel="author" href="/people/ines">Ines Marlow</a>',
    '<span id="author">Ines Marlow</span>',
    '<span itemprop="author name">Ines Marlow</span>',
    '<div data-testid="AuthorCard">Ines Marlow</div>',
    '<p class="story-AuthorName">Ines Marlow</p>',
    "<author>Ines Marlow</author>",
    '<span class="byl">Ines Marlow</span>',
    '<span class="BBL">Ines Marlow</span>',
    '<span class="username">Ines Marlow</span>',
    '<h4 id="zuozhe-box">Ines Marlow</h4>',
    '<div class="posted-by">Ines Marlow</div>',
    '<div class="journalist-name">Ines Marlow</div>',
    '<section data-component="ArticleByline">Ines Marlow</section>',
    '<section class="screenname">Ines Marlow</section>',
    '<section class="staff-writer">Ines Marlow</section>',
    '<section id="Author-7">Ines Marlow</section>',
]


@pytest.mark.parametrize("byline", BYLINES)
def test_a_byline_in_the_markup_alone_is_read(byline: str) -> None:
    page = _page(body=byline)
    assert trafilatura.metadata.extract_author(page) == "Ines Marlow"  # what is looked for
    assert read_metadata(page, COURIER).author == "Ines Marlow"


# Pages where what trafilatura prunes before its byline search decides the answer.
PRUNED_BYLINES = [
    '<div class="author">By <time>3 March</time>Ines <span class="date">x</span>Marlow</div>',
    (
        '<div class="sidebar"><span class="author">Tomas Reyes</span></div>'
        '<p class="author">Ines Marlow</p>'
    ),
    '<div class="author">Ines <figure>Photo: a very long caption '
    + "words " * 30
    + "</figure>Marlow</div>",
    '<span class="author">'
    + "far too long a byline " * 8
    + '</span><a class="byline">Ines Marlow</a><section id="Author-7">Tomas Reyes</section>',
    '<div class="authors"><rel>me</rel>Ines Marlow</div>',
    '<div id="comments"><p class="author">Tomas Reyes</p></div><p>No byline.</p>',
]


@pytest.mark.parametrize("byline", BYLINES + PRUNED_BYLINES)
def test_the_byline_search_in_one_walk_is_trafilaturas(byline: str) -> None:
    page = _page(body=f"<article><h1>Crane</h1>{byline}<p>The crane failed.</p></article>")
    assert _byline(page) == trafilatura.metadata.extract_author(page)


def test_bylines_nested_around_a_long_article_are_read_in_bounded_work(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """60 "author-..." boxes, one inside the other, around an article of 12,000
    elements: each box's inner elements were all read again (with a copy of the
    box where something in it is pruned), 10.3 s of CPU on a page of 40,000 tags
    against trafilatura's 1.6 (found by a review). The inner elements read are
    now bounded by the page's count, past which trafilatura's search runs."""
    from newscrawl import metadata

    looked_at = 0
    pruned = metadata._pruned

    def counted(element: HtmlElement, tree: HtmlElement) -> bool:
        nonlocal looked_at
        looked_at += 1
        return pruned(element, tree)

    monkeypatch.setattr(metadata, "_pruned", counted)
    article = "".join(f"<p>Paragraph {n} of the report.</p>" for n in range(12_000))
    boxes = 60
    html = "".join(f'<div class="author-box{n}">' for n in range(boxes)) + article
    page = _page(body=html + "</div>" * boxes)
    elements = sum(1 for _ in page.iter())
    assert _byline(page) == trafilatura.metadata.extract_author(page)
    assert looked_at <= 2 * elements, (looked_at, elements)


def test_the_byline_search_is_read_in_one_walk() -> None:
    """If trafilatura changes its byline search, this says so (and newscrawl falls
    back to trafilatura's own): check the tests of `_byline`, then renew its digest."""
    assert BYLINE_IN_ONE_WALK


def test_a_page_without_byline_markup_has_no_author() -> None:
    page = _page(body='<p class="lede" id="intro">Written for the harbour pages.</p>')
    assert read_metadata(page, COURIER).author is None


# -- dates in words: dateparser in the page's language ---------------------------------


def _dated(lang: str, line: str) -> HtmlElement:
    """A page declaring `lang` whose only date is `line`, as a <time> element's text."""
    day, _, rest = line.partition(", ")
    return trafilatura.load_html(
        f"<html lang='{lang}'><head><title>Tides</title></head><body><article>"
        f"<h1>Tides</h1><div class='date'><time class='stamp'>{day}, <span>{rest}</span>"
        "</time></div><p>The spring tides reached the harbour wall twice this week.</p>"
        "</article></body></html>"
    )


def test_htmldate_reads_dates_with_newscrawl_s_dateparser() -> None:
    """If htmldate moves its dateparser, this says so (and newscrawl falls back to
    htmldate's own, which tries every locale)."""
    assert DATES_IN_PAGE_LANGUAGES


@pytest.mark.parametrize(
    ("lang", "line"),
    [
        ("fi", "perjantai, 22. huhtikuuta 2022"),  # not among the most used: declared
        ("en", "Viernes, 22 de Abril de 2022"),  # a wrong declaration: among the most used
        ("pt-BR", "sexta-feira, 22 de abril de 2022"),
    ],
)
def test_a_date_in_words_is_read_in_the_declared_or_a_much_used_language(
    lang: str, line: str
) -> None:
    url = "https://coastline.test/n/tides"
    assert read_metadata(_dated(lang, line), url, language=lang).date == "2022-04-22"


HARD_DATE = """
import sys
from dateparser.languages.loader import default_loader
from newscrawl.metadata import read_metadata
from tests.test_metadata import _dated
page = _dated("de", "Tom Davies Associated Press, Published 11:34")
assert read_metadata(page, "https://coastline.test/n/1", language="de").date is None
tried = [name for name, locale in default_loader._loaded_locales.items()
         if "_normalized_dictionary" in vars(locale)]  # what trying a locale sets
print(len(tried))
"""


def test_a_string_that_is_no_date_is_tried_in_a_few_languages_not_all() -> None:
    """dateparser tried all 205 of its locales on it, 2.9 s of CPU and 39 MB in
    every worker that met one (in a new process: dateparser's locales are shared)."""
    result = subprocess.run(
        [sys.executable, "-c", HARD_DATE], cwd=REPO, capture_output=True, text=True, check=True
    )
    assert 0 < int(result.stdout) <= DATE_LANGUAGES_USED_MOST + 1


def test_a_sitemaps_date_comes_before_htmldate_s_search_not_before_the_pages_own() -> None:
    """The page's statement, then the day its sitemap or feed entry gave, then
    htmldate's search of the text ("Posted 3 March 2025"): before, the search ran
    first, for 6 ms, and found a date in the text over the one the site listed."""
    url = "https://www.coastline.test/news/bridge.html"
    listed = "2025-03-05T07:00:00+00:00"
    assert read_metadata(trafilatura.load_html(BARE), url).date == "2025-03-03"
    bare = read_metadata(trafilatura.load_html(BARE), url, discovered_date=listed)
    assert bare.date == "2025-03-05"
    stated = read_metadata(trafilatura.load_html(WITH_META), url, discovered_date=listed)
    assert stated.date == "2026-10-14T08:30:00+00:00"
    # A listed date that is no date, or out of the years a news page has, is not taken.
    for odd in ("soon", "1970-01-01T00:00:00+00:00"):
        assert read_metadata(trafilatura.load_html(BARE), url, discovered_date=odd).date == (
            "2025-03-03"
        )


PRELOADED_LOCALES = """
from dateparser.languages.loader import default_loader
import newscrawl.preload
print(sum("_normalized_dictionary" in vars(locale)
          for locale in default_loader._loaded_locales.values()))
"""


def test_the_workers_fork_server_loads_the_most_used_date_locales_once_for_all() -> None:
    """Each worker loaded them on its first date in words: 0.5 s of CPU and about
    11 MB, again in every worker (one is replaced every 1,000 pages)."""
    result = subprocess.run(
        [sys.executable, "-c", PRELOADED_LOCALES],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    assert int(result.stdout) >= DATE_LANGUAGES_USED_MOST - 5  # a script rules a few out
