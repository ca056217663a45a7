from pathlib import Path

import lxml.html
import pytest
import trafilatura.core
import trafilatura.utils

from newscrawl.article import TOO_SHORT, build_article, clean_article
from newscrawl.cleaning import TextCleaner
from newscrawl.extract import (
    NO_HTML,
    NO_TEXT,
    _looks_incomplete,
    _trafilatura_text,
    _use_plain_html_elements,
    extract_article,
    fast_first_checked,
)

from .conftest import SITE

FERRY = SITE / "news/2026/03/ferry-timetable-changes-for-spring.html"
COTTAGE = SITE / "news/2026/03/lighthouse-keepers-cottage-restored.html"
PAGE_URL = (
    "http://127.0.0.1:8000/news/2026/03/ferry-timetable-changes-for-spring.html?utm_source=x#top"
)


def test_metadata_is_mapped_to_plain_fields():
    extraction = extract_article(FERRY.read_bytes(), PAGE_URL)
    assert extraction.failure is None
    assert extraction.title == "Ferry timetable changes for spring"
    assert extraction.authors == ["Hazel Tremayne"]
    assert extraction.published == "2026-03-14T08:30:00+00:00"
    assert extraction.language == "en"
    assert (
        extraction.description
        == "Two extra crossings a day from April, and a later last boat on Fridays."
    )
    # The relative canonical link is resolved against the page's URL.
    assert extraction.canonical_url == (
        "http://127.0.0.1:8000/news/2026/03/ferry-timetable-changes-for-spring.html"
    )
    assert extraction.published_from == "stated"
    plain = (str, list, bool, type(None))
    assert all(isinstance(value, plain) for value in vars(extraction).values())


def test_several_authors_and_a_regional_language_tag():
    extraction = extract_article(
        COTTAGE.read_text(encoding="utf-8"), "http://127.0.0.1:8000/c.html"
    )
    assert extraction.authors == ["Jory Penhale", "Tamsin Roskilly"]
    assert extraction.language == "pt-BR"


def test_article_item_is_built_and_cleaned():
    extraction = extract_article(FERRY.read_bytes(), PAGE_URL)
    item = build_article(extraction, PAGE_URL, "2026-03-15T00:00:00Z")
    assert item.site == "127.0.0.1:8000"
    assert item.url == PAGE_URL
    assert clean_article(item, TextCleaner(), min_words=15) is None
    paragraphs = item.text.split("\n")
    assert paragraphs[0].startswith("The Lowmoor island ferry")
    assert "Advertisement" not in paragraphs and "More From This Section" not in paragraphs
    assert item.cleaning["fragment"] == 3 and item.cleaning["headline"] == 1
    assert item.word_count == sum(len(p.split()) for p in paragraphs)


def test_too_short_article_is_reported():
    page = SITE / "news/2026/03/short-notice-road-closure-on-quay-street.html"
    extraction = extract_article(page.read_bytes(), "http://127.0.0.1:8000/q.html")
    item = build_article(extraction, "http://127.0.0.1:8000/q.html", "2026-03-15T00:00:00Z")
    assert clean_article(item, TextCleaner(), min_words=15) == TOO_SHORT
    assert clean_article(item, TextCleaner(), min_words=3) is None


def test_a_short_japanese_article_is_not_too_short():
    # Three sentences without spaces were "3 words" and lost as too short.
    page = (
        '<html lang="ja"><head><title>港に新しい灯台</title></head><body><article>'
        "<h1>港に新しい灯台</h1><p>港の新しい灯台は来月から点灯すると市が発表した。</p>"
        "<p>工事費は八千万円で、半分を県が負担する。</p>"
        "<p>漁師たちは夜の入港が安全になると話している。</p></article></body></html>"
    )
    extraction = extract_article(page, "http://127.0.0.1:8000/ja.html")
    item = build_article(extraction, "http://127.0.0.1:8000/ja.html", "2026-03-15T00:00:00Z")
    assert clean_article(item, TextCleaner(), min_words=15) is None
    assert item.word_count > 20


def test_a_short_article_keeps_its_paragraphs_and_loses_its_byline():
    """Under 250 characters trafilatura gives up its result for the whole article
    element's text on one line: a short brief, and any short Chinese or Japanese
    article, came out as headline, byline, date and paragraphs run together,
    which no cleaning rule can take apart (found with pages written for the
    purpose). Its own paragraphs are taken when they are what that line holds."""
    page = (
        '<html lang="zh"><head><title>旧鱼市场将改建为文化中心</title></head><body>'
        "<nav><a href='/'>首页</a></nav><article><h1>旧鱼市场将改建为文化中心</h1>"
        '<p class="byline">By Ann Writer</p><time>20 November 2026</time>'
        "<p>港口市议会周二宣布，将把废弃多年的旧鱼市场改建为文化中心。</p>"
        "<p>议会主席表示，这座建筑已经空置了十多年。</p>"
        "<p>修缮工程预计明年春天开工，工期约两年。</p></article></body></html>"
    )
    extraction = extract_article(page, "http://127.0.0.1:8000/zh.html")
    item = build_article(extraction, "http://127.0.0.1:8000/zh.html", "2026-03-15T00:00:00Z")
    assert clean_article(item, TextCleaner(), min_words=15) is None
    assert item.text == (
        "港口市议会周二宣布，将把废弃多年的旧鱼市场改建为文化中心。\n"
        "议会主席表示，这座建筑已经空置了十多年。\n"
        "修缮工程预计明年春天开工，工期约两年。"
    )


def test_pages_without_text_fail_with_a_reason():
    assert extract_article(b"").failure == NO_HTML
    assert extract_article("   ").failure == NO_HTML
    assert extract_article("<html><body><div></div></body></html>").failure == NO_TEXT


def test_seed_page_extracts_to_the_expected_body(seed_dir: Path):
    extraction = extract_article((seed_dir / "seed-article.html").read_bytes())
    item = build_article(extraction, None, "2026-01-01T00:00:00Z")
    assert clean_article(item, TextCleaner(), min_words=15) is None
    expected = (seed_dir / "expected-body.txt").read_text(encoding="utf-8").split("\n")
    expected = [line for line in expected if line.strip()]
    paragraphs = item.text.split("\n")
    assert paragraphs[: len(expected)] == expected
    assert len(paragraphs) <= len(expected) + 1


def test_a_page_of_nothing_but_furniture_is_cleaned_away():
    from newscrawl.article import CLEANED_AWAY
    from newscrawl.extract import Extraction

    extraction = Extraction(text="Advertisement\nShare this article\nRead more", title="A page")
    item = build_article(extraction, "http://127.0.0.1:8000/x.html", "2026-03-15T00:00:00Z")
    assert clean_article(item, TextCleaner(), min_words=15) == CLEANED_AWAY
    assert item.text == "" and item.cleaning["fragment"] == 3


FORM_PAGE = b"""<html lang="en"><head><title>Council votes on the harbour wall</title></head>
<body><form action="/search"><label for="q">Search</label><input id="q" name="q">
<select name="section"><option>News</option></select></form>
<article><h1>Council votes on the harbour wall</h1>
<p>The council voted on Tuesday to rebuild the harbour wall before the winter storms.</p>
<p>Work starts in May and should take eleven weeks, the harbour master said.</p>
<form><textarea name="comment">Tell us what you think</textarea></form>
<p>Residents can see the plans at the library until the end of the month.</p></article>
</body></html>"""


def test_plain_element_classes_extract_what_lxml_html_classes_extract(seed_dir: Path):
    # extract.py gives trafilatura's parser plain HtmlElement classes for speed;
    # lxml.html's own lookup (form, input, label... classes) must give the same.
    parser = trafilatura.utils.HTML_PARSER
    form = trafilatura.load_html(FORM_PAGE).find(".//form")
    assert type(form) is lxml.html.HtmlElement
    pages = [FORM_PAGE, (seed_dir / "seed-article.html").read_bytes()]
    pages += [path.read_bytes() for path in sorted(SITE.rglob("*.html"))]
    plain = [extract_article(page, "http://127.0.0.1:8000/a.html") for page in pages]
    parser.set_element_class_lookup(lxml.html.HtmlElementClassLookup())
    try:
        assert type(trafilatura.load_html(FORM_PAGE).find(".//form")) is lxml.html.FormElement
        classic = [extract_article(page, "http://127.0.0.1:8000/a.html") for page in pages]
    finally:
        assert _use_plain_html_elements()
    assert plain == classic
    assert "harbour master" in plain[0].text
    assert sum(1 for extraction in plain if extraction.text) >= 8


def test_text_and_metadata_are_in_composed_unicode_form():
    # "Café" and "Straße" as some CMSs write them: a base letter and a combining
    # accent (NFD). Readers and searches expect the composed form (NFC).
    decomposed = "Cafe\u0301 am Hafen o\u0308ffnet wieder"
    page = f"""<html lang="de"><head><title>{decomposed}</title></head><body><article>
    <h1>{decomposed}</h1>
    <p>Das Cafe\u0301 am Hafen o\u0308ffnet nach dem Umbau am Montag wieder, sagte die Pa\u0308chterin.</p>
    <p>Die Ga\u0308ste finden drinnen vierzig Pla\u0308tze und drau\u00dfen noch einmal zwanzig.</p>
    </article></body></html>"""
    extraction = extract_article(page, "http://127.0.0.1:8000/cafe.html")
    assert "Das Café am Hafen öffnet" in extraction.text
    assert "\u0301" not in extraction.text and "\u0308" not in extraction.text
    assert extraction.title == "Café am Hafen öffnet wieder"


def test_a_zero_width_joiner_within_a_word_is_kept():
    # Persian spells with the zero-width non-joiner: "می\u200cگویند" ("they say")
    # and "دست\u200cساز" ("hand-made"). trafilatura dropped it on every page, and
    # the two parts of each word ran together. Set around a word (a site tagging
    # "iPhone 11"), where it is no spelling, it still goes.
    says, handmade = "می\u200cگویند", "دست\u200cساز"
    page = f"""<html lang="fa" dir="rtl"><head><title>بازگشایی پل تاریخی</title></head>
    <body><article><h1>بازگشایی پل تاریخی</h1>
    <p>پل تاریخی شهر پس از دو سال مرمت روز پنجشنبه دوباره به روی عابران پیاده باز شد.</p>
    <p>بیش از هزار آجر قدیمی با آجرهای {handmade} تازه جایگزین شده است.</p>
    <p>ساکنان محله {says} پل حالا زیباتر از همیشه است، و the \u200ciPhone 11\u200c lamp.</p>
    </article></body></html>"""
    text = extract_article(page, "http://127.0.0.1:8000/pol.html").text
    assert says in text and handmade in text
    assert "the iPhone 11 lamp" in text


GUIDE_PAGE = """<html lang="en"><head><title>How the tide tables are made</title>
<link rel="canonical" href="https://courier.test/guides/tide-tables"></head><body>
<article><h1><a href="/guides/tide-tables">How the tide tables are made by the harbour office</a></h1>
<ul><li><a href="#gauges">Where the gauges stand on the quay</a></li>
<li><a href="#sums">How the harbour office does the sums</a></li></ul>
<h2><a name="gauges">Where the gauges stand on the quay</a></h2>
<p>Two gauges measure the water, one at each end of the quay.</p>
<h2><a id="sums" href="#sums">How the harbour office does the sums</a></h2>
<p>A clerk averages a month of readings and checks them against last year.</p>
<p>The office has printed its tables every winter since the breakwater was built in 1911.</p>
<ul><li><a href="https://courier.test/news/ferry-fares-to-rise">Ferry fares to rise in the spring</a>
The operator blames the price of fuel.</li>
<li><a href="https://courier.test/news/market-moves">Fish market moves indoors after sixty years</a>
The stalls leave the quay in May.</li></ul>
</article></body></html>"""


def test_links_that_lead_nowhere_are_not_link_texts():
    extraction = extract_article(GUIDE_PAGE, "https://courier.test/guides/tide-tables?utm_source=x")
    # Headings that are anchor targets, table-of-contents links and the title linking
    # to its own page are not links to elsewhere; the teasers at the end are.
    assert set(extraction.anchor_texts) == {
        "Ferry fares to rise in the spring",
        "Fish market moves indoors after sixty years",
    }
    item = build_article(
        extraction, "https://courier.test/guides/tide-tables", "2026-03-15T00:00:00Z"
    )
    assert clean_article(item, TextCleaner(), min_words=15) is None
    paragraphs = item.text.split("\n")
    assert "Where the gauges stand on the quay" in paragraphs
    assert "Two gauges measure the water, one at each end of the quay." in paragraphs
    assert "Fish market moves indoors after sixty years" not in item.text


def test_a_page_without_an_address_judges_its_links_by_its_canonical_link():
    extraction = extract_article(GUIDE_PAGE)
    assert "How the tide tables are made by the harbour office" not in extraction.anchor_texts
    assert "Ferry fares to rise in the spring" in extraction.anchor_texts


ROUNDUP_PAGE = """<html lang="en"><head><title>What I read this week</title>
<link rel="canonical" href="https://notes.test/2026/03/reading"></head><body><article>
<h1>What I read this week</h1>
<p>Five pieces about harbours and tides that I read this week, with where I found them.</p>
<ul><li><a href="https://courier.test/news/breakwater">Breakwater repairs finish two weeks early</a> via the Courier</li>
<li><a href="https://tides.test/blog/spring">Why spring tides come twice a month</a> via Tides Weekly</li>
<li><a href="https://archive.test/ferries">A century of island ferries in pictures</a> via the Archive</li>
<li><a href="/2026/02/reading">What I read last week on my own notes site</a> and more</li>
<li><a href="https://www.notes.test/2026/01/reading">What I read in January on my notes site</a> too</li></ul>
<p>More next week, when the regatta is on and the harbour is full of boats again.</p>
</article></body></html>"""


def test_links_to_other_sites_are_content_not_teasers():
    extraction = extract_article(ROUNDUP_PAGE)
    # The roundup's links lead to other sites: sources, not teasers of this one.
    assert "Why spring tides come twice a month" not in extraction.anchor_texts
    # Its own earlier posts (a relative link, and www. of its own host) are teasers.
    assert set(extraction.anchor_texts) == {
        "What I read last week on my own notes site",
        "What I read in January on my notes site",
    }
    item = build_article(extraction, None, "2026-03-15T00:00:00Z")
    assert clean_article(item, TextCleaner(), min_words=15) is None
    assert "- Why spring tides come twice a month via Tides Weekly" in item.text.split("\n")
    assert "What I read in January" not in item.text


# A story with teaser cards set into it: a box with a linked headline (in a
# "title container", which trafilatura drops) and the other story's summary.
_BASIN = [
    (
        "The harbour board agreed on Monday to dredge the inner basin before the summer regatta,"
        " ending two years of argument over who should pay for the work."
    ),
    (
        "Silt has built up along the north quay since the storms of last winter, and the larger"
        " yachts have been unable to reach their moorings at low tide."
    ),
    (
        "The board will share the cost with the town council, which had long argued that the basin"
        " was the board's responsibility alone and not a matter for the town."
    ),
    (
        "Dredging is due to start in the first week of May and should take about a month, weather"
        " permitting, the harbour master told the meeting on Monday evening."
    ),
    (
        "Fishermen who use the basin said they welcomed the decision, though several asked why it"
        " had taken so long and whether the silt would simply return next winter."
    ),
]
_CARD = (
    '<div class="enhancement"><div class="promo"><div class="promo-content">'
    '<div class="promo-title-container"><p class="promo-category"><a href="/news">News</a></p>'
    '<h3 class="promo-title"><a href="{href}">{title}</a></h3></div>'
    '<p class="promo-description">{summary}</p><p class="promo-date">April 2, 2026</p>'
    "</div></div></div>"
)
_CARDS = [
    (
        "/news/2026/04/lifeboat-crew-trains-at-night.html",
        "Lifeboat crew trains at night for the first time",
        "Volunteers spent three evenings practising rescues in the dark off the point.",
    ),
    (
        "/news/2026/03/new-lifeboat-paid-for.html",
        "Town raises the last of the money for its new lifeboat",
        "The new boat arrives next month after a year of fundraising in the town.",
    ),
]


def _page_with_cards(blocks: list[str]) -> bytes:
    return (
        '<html lang="en"><head><title>Harbour basin to be dredged</title><link rel="canonical"'
        ' href="https://tidings.example/news/2026/04/harbour-basin-to-be-dredged.html"></head>'
        '<body><article><h1>Harbour basin to be dredged</h1><div class="article-body">'
        + "\n".join(blocks)
        + "</div></article></body></html>"
    ).encode()


def test_summaries_of_teaser_cards_set_into_a_story_are_dropped():
    blocks = [f"<p>{text}</p>" for text in _BASIN]
    blocks.insert(2, _CARD.format(href=_CARDS[0][0], title=_CARDS[0][1], summary=_CARDS[0][2]))
    blocks.insert(5, _CARD.format(href=_CARDS[1][0], title=_CARDS[1][1], summary=_CARDS[1][2]))
    extraction = extract_article(_page_with_cards(blocks))
    # trafilatura keeps each card's summary without its headline ...
    assert _CARDS[0][2] in extraction.text and _CARDS[0][1] not in extraction.text
    # ... which the cleaner is told is a teaser's text, and drops.
    assert {_CARDS[0][2], _CARDS[1][2]} <= set(extraction.anchor_texts)
    item = build_article(extraction, None, "2026-04-03T00:00:00Z")
    assert clean_article(item, TextCleaner(), min_words=15) is None
    assert item.text.split("\n") == _BASIN
    assert item.cleaning["link_list"] >= 2  # the summaries, and a date of their cards


def test_a_card_linking_elsewhere_or_with_a_short_headline_keeps_its_summary():
    other_site = _CARD.format(
        href="https://coastguard.example/training.html", title=_CARDS[0][1], summary=_CARDS[0][2]
    )
    short = _CARD.format(href=_CARDS[1][0], title="Lifeboat news", summary=_CARDS[1][2])
    blocks = [f"<p>{text}</p>" for text in _BASIN]
    blocks[2:2] = [other_site, short]
    extraction = extract_article(_page_with_cards(blocks))
    assert _CARDS[0][2] in extraction.text and _CARDS[1][2] in extraction.text
    assert not {_CARDS[0][2], _CARDS[1][2]} & set(extraction.anchor_texts)


def test_a_list_whose_items_are_cards_is_the_article_and_is_kept():
    # Each idea is a linked heading and its paragraphs; trafilatura drops the
    # headings. Those paragraphs are the text: nothing is taken for a teaser.
    ideas = [
        (f"/ideas/costumes/{number}.html", f"{number}. A costume idea made from {thing}", summary)
        for number, (thing, summary) in enumerate(
            [
                ("an old bedsheet", "Cut two holes for the eyes and you are a ghost in a minute."),
                ("a cardboard box", "Paint it grey, add dials, and walk stiffly as a robot."),
                ("a striped shirt", "Add a beret and a string of onions for a classic look."),
                ("green paper", "Tape leaves all over a jumper and go as a walking hedge."),
            ],
            1,
        )
    ]
    blocks = ["<p>Here are four costumes you can make tonight from what is in the house.</p>"]
    blocks += [_CARD.format(href=h, title=t, summary=s) for h, t, s in ideas]
    extraction = extract_article(_page_with_cards(blocks))
    assert all(summary in extraction.text for _, _, summary in ideas)
    assert not set(extraction.anchor_texts) & {summary for _, _, summary in ideas}


@pytest.mark.parametrize(
    "block",
    ["[1]", '"text"', "42", "[[]]", "[" * 60 + "]" * 60, "[" * 5000 + "]" * 5000,
     '{"@type": ["NewsArticle", 3], "datePublished": 20261130, "headline": {"x": 1}}'],
)  # fmt: skip
def test_an_odd_json_ld_block_costs_no_text(block: str) -> None:
    """A JSON-LD block of `[1]`, a string, a number or deep arrays raised in
    trafilatura's metadata code, and the page's article was lost as an
    extraction error; plain trafilatura keeps it. The text stays, and so does the
    metadata the page states elsewhere."""
    paragraphs = "".join(
        f"<p>Report part {n}: the harbour committee met again and discussed item {n} of"
        f" its agenda, the repair of berth {n} and the cost of dredging.</p>"
        for n in range(5)
    )
    page = (
        "<html lang='en'><head><title>Harbour report</title>"
        f"<script type='application/ld+json'>{block}</script></head>"
        f"<body><article><h1>Harbour report</h1>{paragraphs}</article></body></html>"
    )
    found = extract_article(page.encode(), "http://courier.test/harbour.html")
    assert found.failure is None
    assert "dredging" in found.text and len(found.text.split()) > 100
    assert found.title == "Harbour report"


def test_a_relative_canonical_link_is_resolved_against_the_pages_base():
    """A relative canonical link was resolved against the page's URL, not its
    <base href> as its other links are: the article's key became
    /2026/12/2026/12/bridge-vote, another for each address of the page (found by
    a hostile-site session)."""
    paragraphs = "".join(
        f"<p>Paragraph {n}: the council met on the bridge plans and heard residents,"
        " engineers and the harbour master for most of the evening.</p>"
        for n in range(6)
    )
    page = (
        "<html><head><base href='/'><link rel='canonical' href='2026/12/bridge-vote'>"
        f"<title>Bridge vote</title></head><body><article><h1>Bridge vote</h1>{paragraphs}"
        "</article></body></html>"
    )
    for address in ("http://n.test/2026/12/bridge-vote", "http://n.test/amp/2026/12/bridge-vote"):
        extraction = extract_article(page, address)
        assert extraction.canonical_url == "http://n.test/2026/12/bridge-vote", address


_CANONICAL_PAGES = [
    '<link rel="Canonical" href=" /a ">',
    '<link rel="alternate canonical" href="/b"><meta property="og:url" content="/c">',
    '<meta property="og:url" content="/c"><link rel="canonical" href="/b">',
    '<link rel="canonical"><link rel="x\tcanonical" href="/t"><link rel="CANONICAL" href="/u">',
    '<meta property="og:url"><meta property="OG:URL" content="/d">',
    '<link rel="canonical" href="javascript:x"><meta property="og:url" content="/e">',
    "<p>no canonical</p>",
]


@pytest.mark.parametrize("head", _CANONICAL_PAGES)
def test_the_declared_canonical_is_the_first_the_pages_xpath_gives(head: str) -> None:
    """The element walk finds what the XPath union it replaced found."""
    from newscrawl.extract import _declared_canonical
    from newscrawl.urls import resolve_http_url

    tree = lxml.html.document_fromstring(f"<html><head>{head}</head><body><p>x</p></body></html>")
    base = "http://site.test/page"
    hrefs = tree.xpath(
        "//link[contains(concat(' ', translate(@rel,'CANONIL','canonil'), ' '), ' canonical ')]"
        "/@href|//meta[@property='og:url']/@content"
    )
    resolved = [resolve_http_url(href.strip(), base=base) for href in hrefs]
    assert _declared_canonical(tree, base) == next((r for r in resolved if r), None)


@pytest.mark.parametrize(
    "head",
    [
        '<meta http-equiv="Content-Language" content="de-DE">',
        '<meta property="og:locale" content="fr_FR"><meta http-equiv="content-language" content="x">',
        '<meta http-equiv="content-language"><meta property="og:locale" content="">',
        '<meta http-equiv="CONTENT-LANGUAGE" content=" nl "><meta property="og:locale" content="y">',
        '<meta name="language" content="en">',
    ],
)
def test_the_declared_language_is_the_first_the_pages_xpath_gives(head: str) -> None:
    """The <meta> walk finds what the XPath union it replaced found."""
    from newscrawl.extract import _declared_language

    tree = lxml.html.document_fromstring(f"<html><head>{head}</head><body><p>x</p></body></html>")
    metas = tree.xpath(
        "//meta[translate(@http-equiv,'CONTENTLAGU','contentlagu')='content-language']"
        "/@content|//meta[@property='og:locale']/@content"
    )
    lang = metas[0] if metas else None
    assert _declared_language(tree) == ((lang.strip() or None) if lang else None)


def test_a_short_articles_sentence_that_trafilatura_passes_over_is_kept():
    """A short brief's one line is replaced by trafilatura's own paragraphs, but
    those pass over text in a bare <div>: a sentence between two of them, or
    after the last, is the article's, and was lost with the headline's byline
    and date (found with pages written for the purpose)."""
    opening = "The old fish market will become an arts centre, the council said."
    middle = "Work on the roof starts in the spring and should take two years."
    closing = "The building has stood empty since the last trawler was sold."
    for body in (
        f"<p>{opening}</p><div>{middle}</div><p>{closing}</p>",
        f"<p>{opening}</p><p>{closing}</p><div>{middle}</div>",
    ):
        page = (
            "<html><head><title>Fish market to be arts centre</title></head><body>"
            "<nav><a href='/'>Home</a></nav><article><h1>Fish market to be arts centre</h1>"
            "<p class='byline'>By Ann Writer</p><time>20 November 2026</time>"
            f"{body}</article></body></html>"
        )
        extraction = extract_article(page, "http://127.0.0.1:8000/brief.html")
        lines = extraction.text.split("\n")
        assert middle in lines, extraction.text
        assert opening in lines and closing in lines


def _sentences(topic: str, count: int) -> str:
    return " ".join(
        f"The {topic} committee met for the {n}th time on Tuesday and agreed the next steps."
        for n in range(count)
    )


# A brief: two paragraphs, under trafilatura's fast-mode text the full cascade is
# run for (FULL_MODE_BELOW_WORDS), and most of the page's text.
BRIEF = f"""<html><head><title>Harbour wall repaired</title></head><body>
<nav><a href="/">Home</a> <a href="/news/">News</a></nav>
<article><h1>Harbour wall repaired</h1>
<p>{_sentences("harbour", 4)}</p><p>{_sentences("works", 3)}</p></article>
</body></html>"""

# The same brief on a page of long link lists: its text is under a fifth of the
# page's, where trafilatura's recall retry may take more.
BRIEF_AMID_LINKS = BRIEF.replace(
    "</article>",
    "</article><div class='more'>"
    + "".join(f"<p><a href='/s/{n}'>{_sentences('parish', 2)}</a></p>" for n in range(30))
    + "</div>",
)

# A brief in no container trafilatura looks for: its stage 1 recovers the "wild"
# paragraphs, which fast mode does otherwise than full mode (it keeps teasers).
WILD_BRIEF = f"""<html><body><div class="x"><p>{_sentences("harbour", 3)}</p></div>
<div class="y"><p>{_sentences("works", 2)}</p></div></body></html>"""

LONG_ARTICLE = f"""<html><head><title>Ferry fares</title></head><body><article>
<h1>Ferry fares rise in spring</h1>
{"".join(f"<p>{_sentences(f'ferry{n}', 4)}</p>" for n in range(8))}
</article></body></html>"""

# A long article whose paragraphs stand in one table cell: trafilatura gives its
# complete text on one line, which is its result as it is (the one-line pass is
# for its baseline's one paragraph, and cost this page a second run).
ONE_CELL_ARTICLE = (
    LONG_ARTICLE.replace("<article>", "<article><table><tr><td>")
    .replace("</article>", "</td></tr></table></article>")
    .replace("<h1>Ferry fares rise in spring</h1>", "")
)


def _fast_then_full(page: str) -> str:
    """trafilatura's text as two runs give it: fast mode, and full mode where the
    fast result looks incomplete (what _trafilatura_text must give)."""
    tree = trafilatura.load_html(page)
    fast = trafilatura.bare_extraction(tree, include_comments=False, fast=True)
    if fast and fast.text and fast.body is not None and not _looks_incomplete(fast.body, fast.text):
        return fast.text
    full = trafilatura.bare_extraction(tree, include_comments=False)
    return full.text if full else ""


def _runs_of_trafilatura(page: str, monkeypatch: pytest.MonkeyPatch) -> tuple[str, int]:
    calls = []
    sequence = trafilatura.core.trafilatura_sequence

    def counted(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(1)
        return sequence(*args, **kwargs)

    with monkeypatch.context() as patched:
        patched.setattr(trafilatura.core, "trafilatura_sequence", counted)
        text = _trafilatura_text(trafilatura.load_html(page), "http://127.0.0.1:8000/a.html")
    return text, len(calls)


# The run counts hold where the one-run extraction is installed: on the
# trafilatura releases it was checked on (elsewhere trafilatura runs twice).
one_run_installed = pytest.mark.skipif(
    not fast_first_checked(trafilatura.__version__),
    reason=f"trafilatura {trafilatura.__version__}: one-run extraction not checked on it",
)


@one_run_installed
def test_a_short_text_no_rescue_can_change_is_extracted_once_in_full_mode(monkeypatch):
    # Fast mode's text of the brief looks incomplete, and none of trafilatura's
    # rescues can lengthen it: the run turns to full mode at once instead of
    # running again (a fifth of the dev pages; ~20 ms a page each).
    text, runs = _runs_of_trafilatura(BRIEF, monkeypatch)
    assert runs == 1
    assert text == _fast_then_full(BRIEF)
    assert "9th time" not in text and "3th time" in text


@pytest.mark.parametrize(
    ("page", "runs"),
    [(LONG_ARTICLE, 1), (BRIEF_AMID_LINKS, 2), (WILD_BRIEF, 1), (ONE_CELL_ARTICLE, 1)],
    ids=["long", "rescuable", "wild", "one-line"],
)
@one_run_installed
def test_one_run_gives_fast_mode_text_and_full_mode_where_it_looks_incomplete(
    page, runs, monkeypatch
):
    text, counted = _runs_of_trafilatura(page, monkeypatch)
    assert counted == runs
    assert text == _fast_then_full(page)


def test_every_site_page_gets_the_text_of_fast_then_full_mode(seed_dir: Path):
    pages = [(seed_dir / "seed-article.html").read_bytes().decode()]
    pages += [path.read_text() for path in sorted(SITE.rglob("*.html"))]
    for page in pages:
        assert _trafilatura_text(trafilatura.load_html(page), None) == _fast_then_full(page)


def test_a_one_line_result_is_tested_only_where_complete_as_one_line():
    """The one-line page of the test above does come out complete on one line."""
    text = _fast_then_full(ONE_CELL_ARTICLE)
    assert "\n" not in text.strip() and len(text.split()) >= 200


@pytest.mark.parametrize(
    ("version", "checked"),
    [
        ("2.3.1", True),
        ("2.3.0", False),
        ("2.3.2", False),
        ("2.4.0", False),
        ("2.2.0", False),
        ("3.0", False),
        ("", False),
    ],
)
def test_fast_first_runs_only_on_the_trafilatura_releases_it_was_checked_on(version, checked):
    assert fast_first_checked(version) is checked


def test_the_page_text_a_run_read_is_its_threads_alone(monkeypatch):
    """The page text a run read for its rescue check is given again to that run,
    whatever a run in another thread does meanwhile (it read through a module
    global, which the other run's end cleared, or replaced with its own page)."""
    import threading

    from newscrawl import extract

    reads = []
    real = extract._html2txt
    monkeypatch.setattr(extract, "_html2txt", lambda *a, **k: reads.append(1) or real(*a, **k))
    tree = trafilatura.load_html(BRIEF_AMID_LINKS)
    options = extract._FastFirst(output_format="python", fast=True, comments=False)
    options.min_extracted_size = 1  # past the size floor: the page's text is read
    assert extract._may_be_rescued("A short text.", tree, options)
    assert len(reads) == 1
    other = threading.Thread(target=_trafilatura_text, args=(trafilatura.load_html(BRIEF), None))
    try:
        other.start()
        other.join()
        reads.clear()
        assert extract._page_text(tree) == real(tree)
        assert reads == []  # given again, not read again
    finally:
        extract._this_run.page_text = None  # as a run's end leaves it


@one_run_installed
def test_an_unchecked_trafilatura_release_is_left_alone(monkeypatch):
    """On a trafilatura as it is before newscrawl's import (its own steps back,
    nothing kept), an unchecked release is not changed. monkeypatch puts the
    installed steps back afterwards, for the tests that follow."""
    from newscrawl import extract

    core, main = trafilatura.core, trafilatura.main_extractor
    own = core._newscrawl_kept
    monkeypatch.setattr(core, "_extract_and_compare", own[0])
    monkeypatch.setattr(core, "html2txt", own[1])
    monkeypatch.setattr(main, "recover_wild_text", own[2])
    monkeypatch.delattr(core, "_newscrawl_kept")
    monkeypatch.setattr(trafilatura, "__version__", "2.3.2")
    assert extract._install_fast_first() is False
    assert (core._extract_and_compare, core.html2txt, main.recover_wild_text) == own
    assert not hasattr(core, "_newscrawl_kept")
