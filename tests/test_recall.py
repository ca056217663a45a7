"""Recall routes: extraction takes the page's fuller article text when
trafilatura's is a small part of it, and only then."""

from __future__ import annotations

import json
import time

import trafilatura

from newscrawl.cleaning.normalize import words
from newscrawl.extract import extract_article
from newscrawl.recall import (
    DEFAULT,
    JSON_LD,
    LIVE_BLOG,
    LIVE_POSTS_MAX_WORDS,
    RECALL,
    SPLIT_BODY,
    json_ld_body,
    live_blog_posts,
    live_blog_text,
    split_body_text,
    take_better_route,
)

FIRST_PART = [
    "The harbour board met on Thursday to decide what to do with the old fish market on the north quay.",
    "Its roof has leaked for years, and the stalls moved indoors to the new hall by the station last spring.",
    "Three plans were on the table: a museum of the fleet, flats for fishermen's families, or pulling it down.",
]
SECOND_PART = [
    "The museum plan won, by five votes to two, after the fishermen's association spoke in favour of it.",
    "Its chair said the building had seen four generations of the town's boats come in and should stay.",
    "Work on the roof begins in May, and the board hopes to open the first rooms before the summer is out.",
    "The flats are not forgotten: the board will look for another site for them along the south quay.",
]


def _paragraphs(lines: list[str]) -> str:
    return "".join(f"<p>{line}</p>" for line in lines)


def _split_page(
    parts: list[list[str]], between: str = '<div class="ad">Advertisement</div>'
) -> str:
    body = between.join(
        f'<div class="grid"><div class="body article__body">{_paragraphs(part)}</div></div>'
        for part in parts
    )
    return f"""<html lang="en"><head><title>Fish market to become a museum</title></head><body>
    <nav><a href="/">Home</a> <a href="/news">News</a></nav>
    <article><h1>Fish market to become a museum</h1>{body}</article></body></html>"""


def test_a_body_split_into_containers_alike_is_taken_whole():
    page = _split_page([FIRST_PART, SECOND_PART])
    # trafilatura keeps the first container that looks like an article body.
    plain = trafilatura.extract(page) or ""
    assert FIRST_PART[0] in plain and SECOND_PART[0] not in plain
    extraction = extract_article(page)
    assert extraction.route == SPLIT_BODY
    assert extraction.text.split("\n") == FIRST_PART + SECOND_PART


def test_parts_too_short_for_the_text_wanted_are_not_extracted(monkeypatch):
    page = trafilatura.load_html(_split_page([FIRST_PART, SECOND_PART]))
    text = "\n".join(FIRST_PART)
    whole = split_body_text(page, text)
    assert whole is not None and whole.split("\n") == FIRST_PART + SECOND_PART
    held = len(words(" ".join([*FIRST_PART, *SECOND_PART])))
    assert split_body_text(page, text, held) == whole
    # The parts' text could only have as many words as the parts: not extracted.
    monkeypatch.setattr(trafilatura, "bare_extraction", lambda *args, **kwargs: 1 / 0)
    assert split_body_text(page, text, held + 1) is None


def test_a_body_in_one_container_is_left_to_trafilatura():
    extraction = extract_article(_split_page([FIRST_PART + SECOND_PART]))
    assert extraction.route == DEFAULT
    assert extraction.text.split("\n")[-7:] == FIRST_PART + SECOND_PART


def test_many_blocks_alike_are_not_one_body():
    # A page builder's generic blocks (or a list of teasers): more parts than a
    # split body has. Only the article's own container is kept.
    teasers = [[f"Teaser number {n} tells of another story from the quay and its boats today."] * 2
               for n in range(20)]  # fmt: skip
    page = _split_page([FIRST_PART, *teasers])
    extraction = extract_article(page)
    assert extraction.route == DEFAULT
    assert "Teaser number 7" not in extraction.text


def test_a_container_alike_in_the_pages_footer_is_no_part_of_the_body():
    # The publisher's blurb in the footer uses the body's rich-text class too.
    blurb = "The Quay Gazette has reported on the harbour towns of the north coast since 1921."
    page = _split_page([FIRST_PART, SECOND_PART]).replace(
        "</article>",
        f'</article><footer><div class="grid"><div class="body article__body"><p>{blurb}</p>'
        "</div></div></footer>",
    )
    extraction = extract_article(page)
    assert extraction.route == SPLIT_BODY
    assert extraction.text.split("\n") == FIRST_PART + SECOND_PART


def test_blocks_alike_in_the_footer_count_towards_a_page_builders_many_blocks():
    # 15 blocks alike in the article and 3 more in the footer: too many for the
    # parts of one body, even though the footer's are left out of any body.
    teasers = [[f"Teaser number {n} tells of another story from the quay and its boats today."] * 2
               for n in range(17)]  # fmt: skip
    page = _split_page([FIRST_PART, *teasers[:14]])
    footer = "".join(
        f'<div class="grid"><div class="body article__body">{_paragraphs(t)}</div></div>'
        for t in teasers[14:]
    )
    page = page.replace("</article>", f"</article><footer>{footer}</footer>")
    extraction = extract_article(page)
    assert extraction.route == DEFAULT
    assert "Teaser number 7" not in extraction.text


def test_a_box_in_an_aside_between_the_bodys_parts_is_the_storys_own():
    # Between two parts of the body, an <aside> using the body's class is the
    # story's own box (key facts); after the story, the sidebar's box is not.
    facts = [
        "Key facts: the market hall was built in 1896 and last repaired in 1978.",
        "The museum will need about two million pounds, half of it from the council.",
    ]
    promo = "Sign up for the Quay Gazette's morning letter and never miss a story again."
    box = f'<aside><div class="grid"><div class="body article__body">{_paragraphs(facts)}</div></div></aside>'
    page = _split_page([FIRST_PART, SECOND_PART], between=box).replace(
        "</article>",
        f'</article><aside><div class="body article__body"><p>{promo}</p></div></aside>',
    )
    text = split_body_text(trafilatura.load_html(page), "\n".join(FIRST_PART))
    assert text is not None and text.split("\n") == FIRST_PART + facts + SECOND_PART


def test_a_body_inside_an_aside_keeps_its_parts_in_that_aside():
    # Some pages put the whole article in an <aside> (a theme's sidebar layout):
    # only a landmark the article's own container is not in marks page furniture.
    page = _split_page([FIRST_PART, SECOND_PART])
    page = page.replace("<article>", "<aside><article>").replace("</article>", "</article></aside>")
    text = split_body_text(trafilatura.load_html(page), "\n".join(FIRST_PART))
    assert text is not None and text.split("\n") == FIRST_PART + SECOND_PART


NESTED_PAGE = """<html lang="en"><body><div class="site-main article-page">
<div class="wrapper--sidebar-content"><aside class="sidebar"><div class="sidebar-sticky">
<div id="nav_menu-6"><div id="nav_menu-7"><div class="main-content"><div class="row">
<div class="grid-column-left"><article class="article-detailed"><div class="article-content">
<p>Harbour users can now book a berth for up to fifteen nights from their phones and pay on the quay app.</p>
<p>Boats staying longer are booked in blocks of fifteen nights, which the app joins up for the skipper.</p>
</div></article></div></div></div></div></div></div></aside></div></div></body></html>"""


def test_a_page_where_trafilatura_finds_next_to_nothing_gets_its_recall_mode():
    assert not trafilatura.extract(NESTED_PAGE)
    extraction = extract_article(NESTED_PAGE)
    assert extraction.failure is None and extraction.route == RECALL
    assert extraction.text.startswith("Harbour users can now book a berth")


BODY = [
    "The lifeboat crew trained three new volunteers this winter, the station's coxswain said on Monday.",
    "They learned to launch the boat from the slipway at night and to read the tide tables of the bay.",
    "Two of them are fishermen, and the third teaches at the island school during the week.",
    "The station needs eight more volunteers before the summer, when the bay fills with visitors' boats.",
    "Training takes a year of Tuesday evenings and one weekend a month, on the water in all weathers.",
    "Volunteers must live or work within ten minutes of the station, so that the boat launches in time.",
    "The station was built in 1893 and has launched more than two thousand times since then.",
    "Anyone interested can visit on Tuesday evenings, when the crew trains and the kettle is always on.",
]


def _paywalled_page(body_in_json: str) -> str:
    data = {
        "@context": "https://schema.org",
        "@graph": [
            {"@type": "NewsArticle", "headline": "Lifeboat trains", "articleBody": body_in_json}
        ],
    }
    return f"""<html lang="en"><head><title>Lifeboat crew trains new volunteers</title>
    <script type="application/ld+json">{json.dumps(data)}</script></head><body><article>
    <h1>Lifeboat crew trains new volunteers</h1><p>{BODY[0]}</p><p>{BODY[1]}</p>
    <div class="paywall"><p>Subscribe to read the whole story.</p></div></article></body></html>"""


def test_a_json_ld_body_much_longer_than_the_text_is_taken():
    page = _paywalled_page("<p>" + "</p><p>".join(BODY) + "</p>")
    assert BODY[2] not in (trafilatura.extract(page) or "")
    extraction = extract_article(page)
    assert extraction.route == JSON_LD
    assert extraction.text.split("\n") == BODY


def test_a_json_ld_body_no_longer_than_the_text_changes_nothing():
    extraction = extract_article(_paywalled_page(" ".join(BODY[:3])))
    assert extraction.route == DEFAULT
    assert BODY[0] in extraction.text and BODY[2] not in extraction.text


def test_json_ld_bodies_are_read_as_plain_paragraphs():
    escaped = "&lt;p&gt;Tides &amp;amp; times&lt;/p&gt;&lt;p&gt;Second line&lt;/p&gt;"
    page = f"""<html><head><script type="application/ld+json">
    {json.dumps({"@type": "Article", "articleBody": escaped})}</script>
    <script type="application/ld+json">not json at all</script></head><body></body></html>"""
    assert json_ld_body(trafilatura.load_html(page)) == "Tides & times\nSecond line"


def test_a_body_of_unclosed_tags_is_read_in_linear_time():
    """Many "<" after the last ">" (hostile or broken JSON-LD): the tag pattern once
    tried every "<" against the rest of the body, 8 s of CPU for these 100,000."""
    body = "Tides &amp; times, 3 > 2 " + "<" * 100_000
    page = f"""<html><head><script type="application/ld+json">
    {json.dumps({"@type": "Article", "articleBody": body})}</script></head><body></body></html>"""
    started = time.process_time()
    found = json_ld_body(trafilatura.load_html(page))
    assert time.process_time() - started < 1.0
    assert found is not None and found.startswith("Tides & times")


LEAD = [
    "Good evening and welcome to our coverage of the regatta, where forty boats race round the bay.",
    "Our reporter is on the harbour wall with the race officers, and will bring you every finish.",
]
POSTS = [
    (
        "The last boat is home",
        "The old gaff cutter crossed the line at dusk, to cheers from the harbour wall.",
    ),
    (
        "Protest in the dinghy class",
        "Two helms dispute the mark rounding at the north buoy, and the jury meets at nine.",
    ),
    (
        "Squall hits the fleet",
        "A sudden squall flattened half the fleet, but the rescue boats report no one hurt.",
    ),
    (
        "Leaders round the far mark",
        "The three leading yachts rounded the far mark together, a length apart at most.",
    ),
    (
        "The start is delayed",
        "Fog over the bay keeps the fleet in the harbour for another half hour at least.",
    ),
]


def _live_documents(posts: list[tuple[str, str]]) -> list[object]:
    updates = [{"@type": "BlogPosting", "headline": h, "articleBody": b} for h, b in posts]
    return [
        {"@context": "https://schema.org", "@type": "LiveBlogPosting", "liveBlogUpdate": updates}
    ]


def _live_page(documents: list[object]) -> object:
    scripts = "".join(
        f'<script type="application/ld+json">{json.dumps(d)}</script>' for d in documents
    )
    return trafilatura.load_html(f"<html><head>{scripts}</head><body><p>x</p></body></html>")


def test_a_live_blogs_listed_posts_replace_a_text_that_lost_some_of_them():
    # The text found kept the lead and the posts' bodies but lost their headings and
    # one whole post: the lead, then every post the page lists, heading and body.
    found = "\n".join([*LEAD, *(body for _, body in POSTS[:2]), *(b for _, b in POSTS[3:])])
    documents = _live_documents(POSTS)
    text, route = take_better_route(_live_page(documents), None, found, documents)
    assert route == LIVE_BLOG
    assert text.split("\n") == [*LEAD, *(line for post in POSTS for line in post)]


def test_a_live_blog_listing_only_its_latest_posts_keeps_its_text():
    # The page shows five posts, its JSON-LD lists the latest two: the text found
    # holds more than the list, and is kept as it is.
    found = "\n".join([*LEAD, *(line for post in POSTS for line in post)])
    documents = _live_documents(POSTS[:2])
    text, route = take_better_route(_live_page(documents), None, found, documents)
    assert route == DEFAULT
    assert text == found


def test_a_live_blog_whose_text_has_all_its_posts_keeps_its_text():
    found = "\n".join([*LEAD, *(line for post in POSTS for line in post)])
    documents = _live_documents(POSTS)
    assert take_better_route(_live_page(documents), None, found, documents) == (found, DEFAULT)


def test_live_blog_posts_are_read_as_plain_paragraphs():
    documents = [
        {"@type": "NewsArticle", "headline": "Not a live blog", "articleBody": "A story."},
        {
            "@graph": [
                {
                    "@type": "LiveBlogPosting",
                    "liveBlogUpdate": [
                        {"headline": "  Two   lines ", "articleBody": "<p>First</p><p>Second</p>"},
                        {"headline": "A heading without a post", "articleBody": "  "},
                        {"articleBody": "A post without a heading"},
                        "not a post",
                    ],
                }
            ]
        },
        {"liveBlogUpdate": {"headline": "One post", "articleBody": "Only one"}},
    ]
    assert live_blog_posts(documents) == [
        "Two lines",
        "First\nSecond",
        "A post without a heading",
    ]
    assert live_blog_posts([{"@type": "NewsArticle", "articleBody": "A story."}]) == []


def test_posts_the_text_holds_none_of_are_not_added():
    story = "\n".join(FIRST_PART)
    lead_alone = "\n".join(LEAD)
    full = "\n".join([*LEAD, *(line for post in POSTS for line in post)])
    cut_short = [(h, " ".join(b.split()[:5]) + " …") for h, b in POSTS]
    for found, posts in (
        (story, POSTS),  # an article whose JSON-LD carries another story's ticker
        (lead_alone, POSTS[:2]),  # the lead, and a list of the latest posts only
        (full, cut_short),  # the posts in full, listed as excerpts cut short
        ("", POSTS),  # nothing found
    ):
        documents = _live_documents(posts)
        assert live_blog_text(found, documents) is None
        if found:
            route = take_better_route(_live_page(documents), None, found, documents)
            assert route == (found, DEFAULT)


def test_a_live_blogs_posts_are_not_its_article_body():
    # Nothing found, and the one long post is no article body to take instead.
    documents = _live_documents([("A long post", " ".join(["harbour"] * 500))])
    assert json_ld_body(_live_page(documents), documents) == ""


def test_json_ld_nested_past_the_parsers_depth_is_skipped():
    page = trafilatura.load_html(
        '<html><head><script type="application/ld+json">'
        + "[" * 100_000
        + "]" * 100_000
        + '</script><script type="application/ld+json">{"articleBody": "Tides"}</script>'
        + "</head><body><p>x</p></body></html>"
    )
    assert json_ld_body(page) == "Tides"


def test_many_posts_whose_headings_were_lost_come_back_and_too_many_are_not_read():
    # 10,000 posts whose bodies the text holds without their headings: a pass over
    # the words (each paragraph's shingles looked up in one set of the posts').
    posts = [
        (
            f"Update {n}",
            f"Boat {n} finished the race in the harbour at dusk, the last of its class.",
        )
        for n in range(10_000)
    ]
    documents = _live_documents(posts)
    found = "\n".join([*LEAD, *(body for _, body in posts)])
    text, route = take_better_route(_live_page([]), None, found, documents)
    assert route == LIVE_BLOG
    assert text.split("\n") == [*LEAD, *(line for post in posts for line in post)]
    # Past LIVE_POSTS_MAX_WORDS the posts are not read (their shingles' memory).
    long_post = " ".join(f"word{n}" for n in range(LIVE_POSTS_MAX_WORDS))
    documents = _live_documents([*posts[:10], ("The long post", long_post)])
    found = "\n".join([*LEAD, *(body for _, body in posts[:10])])
    assert take_better_route(_live_page([]), None, found, documents) == (found, DEFAULT)
