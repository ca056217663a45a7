import sqlite3
import time

import lxml.html
import pytest

from newscrawl.demo.server import QuietHandler
from newscrawl.pagetype import ARTICLE, HUB, PROSE_RUN, classify_page, says_not_found
from newscrawl.pageworker import prose_run

from .conftest import FAST, run, serving


@pytest.mark.parametrize(
    ("url", "og_type", "ld_types", "expected"),
    [
        ("https://n.test/", None, [], HUB),
        ("https://n.test/world/", None, [], HUB),
        ("https://n.test/tag/elections/", None, [], HUB),
        ("https://n.test/author/jane-doe/", None, [], HUB),
        ("https://n.test/section/business/page/2", None, [], HUB),
        ("https://n.test/2026/03/14/ferry-times.html", None, [], ARTICLE),
        # A year's, month's or day's archive lists that time's stories.
        ("https://n.test/2026/03/", None, [], HUB),
        ("https://n.test/news/2026/03/14", None, [], HUB),
        ("https://n.test/2026/", None, [], HUB),
        ("https://n.test/world/council-approves-new-river-footbridge", None, [], ARTICLE),
        ("https://n.test/story/12345678", None, [], ARTICLE),
        # What the page says about itself wins over its URL.
        ("https://n.test/tag/x", "article", [], ARTICLE),
        ("https://n.test/news", None, ["NewsArticle"], ARTICLE),
        ("https://n.test/2026/03/14/all-stories-today", "website", [], HUB),
        ("https://n.test/2026/03/14/all-stories-today", None, ["CollectionPage"], HUB),
        # The front page is a hub whatever it says of itself: a theme that marks
        # every page an article had it stored, overwritten each run. "/?p=12" is
        # an article's address (WordPress's).
        ("https://n.test/", "article", ["NewsArticle"], HUB),
        ("https://n.test/index.php", "article", [], HUB),
        ("https://n.test/?lang=en&utm_source=x", None, ["Article"], HUB),
        ("https://n.test/?p=12", "article", [], ARTICLE),
    ],
)
def test_classify_page(url, og_type, ld_types, expected):
    assert classify_page(url, og_type, ld_types) == expected


def test_a_page_whose_address_and_metadata_do_not_tell_is_classified_by_its_prose():
    """A short address ("/news/ferry.html", "/story/4512") and no og:type or
    JSON-LD: an article when its paragraphs of prose stand side by side."""
    asked: list[str] = []

    def run_of(count: int):
        def prose_run() -> int:
            asked.append("asked")
            return count

        return prose_run

    assert classify_page("https://n.test/news/ferry.html", prose_run=run_of(3)) == ARTICLE
    assert classify_page("https://n.test/story/4512", prose_run=run_of(5)) == ARTICLE
    assert classify_page("https://n.test/news/ferry.html", prose_run=run_of(2)) == HUB
    # A home page is a hub whatever it shows (a blog's shows its latest posts whole).
    assert classify_page("https://n.test/", prose_run=run_of(9)) == HUB
    # A hub's address and what a page says of itself are not second-guessed.
    assert classify_page("https://n.test/tag/ferries/", prose_run=run_of(9)) == HUB
    assert classify_page("https://n.test/news", "website", prose_run=run_of(9)) == HUB
    assert asked == ["asked"] * 3  # not read where the address or metadata tell


_PROSE = (
    "The harbour board agreed on Tuesday evening to raise the mooring fees by a fifth"
    " from April, after a review of what the dredging of the channel has cost it."
)
_TEASER = "A short teaser for the story, in one sentence of a dozen words or so."


def _tree(body: str):
    return lxml.html.document_fromstring(f"<html><body>{body}</body></html>")


def test_prose_run_counts_an_articles_paragraphs_not_a_hubs_teasers():
    article = _tree(
        "<nav><a href='/'>Home</a></nav><article><h1>Fees</h1>"
        + f"<p>{_PROSE}</p>" * 4
        + "<h2>What comes next</h2>" + f"<p>{_PROSE} <a href='/a'>Read the report</a>.</p>" * 2
        + "</article>"
    )  # fmt: skip
    assert prose_run(article) == 6
    # A hub's teasers, long or short, between the linked headlines they go with,
    # or each in its own card.
    listed = _tree("<main>" + f"<h3><a href='/s'>Story</a></h3><p>{_PROSE}</p>" * 6 + "</main>")
    assert prose_run(listed) == 0
    cards = _tree(
        "<main>" + f"<div class='card'><a href='/s'><h3>Story</h3></a><p>{_PROSE}</p></div>" * 6
        + "</main>"
    )  # fmt: skip
    assert prose_run(cards) == 0
    # Teasers with unlinked headings, each ending in a link on to the story.
    more = _tree(
        "<div>" + f"<h3>Story</h3><p>{_PROSE} <a href='/s'>Read more</a> »</p>" * 6 + "</div>"
    )
    assert prose_run(more) == 0
    # Short teasers on a page that links its stories by their headlines.
    headlines = "<ul>" + "<li><a href='/s'>Harbour fees rise in April</a></li>" * 5 + "</ul>"
    short = _tree(headlines + "<div>" + f"<p>{_TEASER}</p>" * 8 + "</div>")
    assert prose_run(short) == 0
    # Words inside links are not prose: a list of links dressed as paragraphs.
    linked = _tree("<div>" + f"<p><a href='/s'>{_PROSE}</a></p>" * 8 + "</div>")
    assert prose_run(linked) == 0


def test_prose_run_reads_paragraphs_in_wrappers_and_short_ones_where_few_headlines_link():
    # Every paragraph in a component of its own, two wrappers deep.
    wrapped = _tree(
        "<div class='body'>"
        + f"<div class='component'><div class='text'><p>{_PROSE}</p></div></div>" * 4
        + "</div>"
    )
    assert prose_run(wrapped) == 4
    # A wrapper that holds a linked headline too is a teaser card: not climbed.
    carded = _tree(
        "<div class='grid'>"
        + f"<div class='card'><h3><a href='/s'>Story</a></h3><div><p>{_PROSE}</p></div></div>" * 6
        + "</div>"
    )
    assert prose_run(carded) == 0
    # Headings linking to parts of their own page are a table of contents, not teasers.
    contents = _tree("<div>" + f"<h2><a href='#costs'>Costs</a></h2><p>{_PROSE}</p>" * 4 + "</div>")
    assert prose_run(contents) == 4
    # A small site's article in short paragraphs, with a few links of one word or
    # to no other page: its paragraphs are prose.
    nav = "<nav><a href='/'>Home</a> <a href='/news/'>News</a> <a href='#top'>Back to top</a></nav>"
    brief = _tree(nav + "<article><h1>Ferry</h1>" + f"<p>{_TEASER}</p>" * 4 + "</article>")
    assert prose_run(brief) == 4
    # The same paragraphs beside the headlines of five other stories: teasers.
    linked = "".join(
        f"<li><a href='/n/{n}'>Ferry story {n} from the quay</a></li>" for n in range(5)
    )
    hub = _tree(nav + f"<ul>{linked}</ul><div>" + f"<p>{_TEASER}</p>" * 4 + "</div>")
    assert prose_run(hub) == 0


_HUB_SHAPES = {
    "a river of list items, the headline linked in the teaser": (
        "<ul>" + f"<li><p><a href='/s'>Story</a> {_PROSE}</p></li>" * 6 + "</ul>"
    ),
    "cards that are links": "<ul>" + f"<li><a href='/s'><p>{_PROSE}</p></a></li>" * 6 + "</ul>",
    "teasers wrapped in list items": "<ul>" + f"<li><div><p>{_PROSE}</p></div></li>" * 6 + "</ul>",
    "an archive's definition list": (
        "<dl>" + f"<dt><a href='/s'>Story</a></dt><dd><p>{_PROSE}</p></dd>" * 6 + "</dl>"
    ),
    "search results": (
        "<div>" + f"<a class='title' href='/s'>Harbour fees rise in April</a><p>{_PROSE}</p><span>May 3</span>" * 6
        + "</div>"
    ),
    "press releases, the linked headline a wrapper down": (
        "<div>" + f"<div class='head'><h3><a href='/r'>Release</a></h3></div><p>{_PROSE}</p>" * 6
        + "</div>"
    ),
    "summaries in <div>, under linked headlines": (
        "<div>" + f"<h2><a href='/s'>Story</a></h2><div class='summary'>{_PROSE}</div>" * 6
        + "</div>"
    ),
    "items of a headline and a <div> summary": (
        "<div>" + f"<div><h3><a href='/s'>Story</a></h3><div>{_PROSE}</div></div>" * 6 + "</div>"
    ),
}  # fmt: skip


@pytest.mark.parametrize("shape", sorted(_HUB_SHAPES))
def test_prose_run_does_not_count_a_hubs_teasers(shape):
    assert prose_run(_tree(_HUB_SHAPES[shape])) < PROSE_RUN


_ARTICLE_SHAPES = {
    "its title linking to itself": "<article><h1><a href='/s'>Fees</a></h1>"
    + f"<p>{_PROSE}</p>" * 5
    + "</article>",
    "a related story's linked heading among its paragraphs": "<article>"
    + f"<p>{_PROSE}</p>" * 3
    + "<h3><a href='/r'>Related: the dredging bill</a></h3>"
    + f"<p>{_PROSE}</p>" * 3
    + "</article>",
    "a photo opened large between paragraphs": "<article>"
    + f"<p>{_PROSE}</p>" * 2
    + "<a href='/photo.jpg'><img src='/photo-small.jpg'></a>"
    + f"<p>{_PROSE}</p>" * 2
    + "</article>",
    "each paragraph four wrappers deep": "<div class='body'>"
    + f"<div><div><div><div><p>{_PROSE}</p></div></div></div></div>" * 4
    + "</div>",
    "a share bar and a tag list about it": "<article><div class='share'>"
    + "<a href='https://facebook.test/s'>Facebook</a> <a href='mailto:?s'>Email</a></div>"
    + f"<p>{_PROSE}</p>" * 4
    + "<div class='tags'><a href='/tag/harbour'>Harbour</a> <a href='/tag/fees'>Fees</a></div>"
    + "</article>",
    "advertisements with linked pictures between its paragraphs": "<article>"
    + f"<p>{_PROSE}</p><p>{_PROSE}</p><div class='ad'><a href='https://ads.test/c'><img></a></div>"
    * 3
    + "</article>",
    "paragraphs ending in a note's reference or a bookmark": "<article>"
    + f"<p>{_PROSE}<a href='#note1'><sup>1</sup></a></p><p>{_PROSE}<a id='n2'></a></p>" * 2
    + "</article>",
    "a body wrapped in a bookmark": "<a name='top'><div>" + f"<p>{_PROSE}</p>" * 4 + "</div></a>",
    "paragraphs in <font> wrappers": "<td>"
    + f"<font size='2'><p>{_PROSE}</p></font>" * 4
    + "</td>",
    "paragraphs in <div>, no <p>": "<div class='story'>" + f"<div>{_PROSE}</div>" * 4 + "</div>",
    "lines set apart by <br> in a <div>": "<div class='story'>"
    + f"{_PROSE}<br><br>" * 4
    + "</div>",
    "lines set apart by <br> in one <p>": f"<div><p>{_PROSE}<br><br>{_PROSE}<br>{_PROSE}</p></div>",
    "lines with bold and linked words in them, in a table's cell": "<table><tr><td>"
    + f"{_PROSE} <b>Harbour</b> <a href='/h'>board</a> said.<br>" * 3
    + "</td></tr></table>",
}


@pytest.mark.parametrize("shape", sorted(_ARTICLE_SHAPES))
def test_prose_run_counts_an_articles_paragraphs_beside_a_few_links(shape):
    assert prose_run(_tree(_ARTICLE_SHAPES[shape])) >= PROSE_RUN


def test_headlines_linking_to_other_sites_are_no_hubs_teasers():
    # A list of places to go, each headline linking to the place's own site.
    guide = _tree(
        "<article>"
        + "".join(
            f"<h3><a href='https://venue{n}.test/'>Venue {n}</a></h3><p>{_PROSE}</p>"
            for n in range(5)
        )
        + "</article>"
    )
    assert prose_run(guide, "https://n.test/guide.html") == 5
    # Not knowing the page's site, they are taken for a hub's.
    assert prose_run(guide) < PROSE_RUN


_MOST_READ = (
    "<aside><ul>"
    + "".join(
        f"<li><a href='/news/{n}.html'>Council approves new footbridge {n}</a></li>"
        for n in range(5)
    )
    + "</ul></aside>"
)
_SOFT_BREAK = (
    "The harbour board met on Tuesday evening and agreed after a long debate<br>to raise"
    " the mooring fees for the coming season by a tenth, its chair said."
)


@pytest.mark.parametrize(
    ("shape", "body"),
    [
        (
            "a soft <br> in each paragraph",
            _MOST_READ + "<article>" + f"<p>{_SOFT_BREAK}</p>" * 5 + "</article>",
        ),
        (
            "a logo's link left open",
            "<a href='/'><img src='l.png'> The Quay Courier<div>"
            + f"<p>{_PROSE}</p>" * 5
            + "</div>",
        ),
        (
            "a related link after every two paragraphs",
            "<article>"
            + (
                f"<p>{_PROSE}</p>" * 2
                + "<p><strong><a href='/news/b.html'>Council approves new footbridge</a></strong></p>"
            )
            * 3
            + "</article>",
        ),
    ],
)
def test_articles_a_review_found_read_as_hubs(shape, body):
    assert prose_run(_tree(body), "https://n.test/news/ferry.html") >= PROSE_RUN


def test_links_to_no_page_are_no_headlines():
    # Five share links of four words and more, by script and mail: a small site's
    # short paragraphs are still prose.
    share = "".join(
        f"<a href='{href}'>Share this story by {name}</a> "
        for href, name in [("javascript:void(0)", "Facebook"), ("mailto:?body=x", "email"),
                           ("javascript:s()", "Twitter"), ("tel:123", "phone"), ("javascript:p()", "print")]
    )  # fmt: skip
    page = _tree(f"<div>{share}</div><article>" + f"<p>{_TEASER}</p>" * 4 + "</article>")
    assert prose_run(page, "https://n.test/news/ferry.html") == 4


def test_a_short_number_is_no_year_archive():
    run = lambda: 5
    assert classify_page("https://n.test/story/2024", prose_run=run) == ARTICLE
    assert classify_page("https://n.test/2024/", prose_run=run) == HUB


def test_a_title_of_any_length_is_read_in_bounded_time():
    # Two adjacent \W* in the "(404)" pattern made 2,000 "(" take 19 s.
    started = time.process_time()
    assert not says_not_found("(" * 2000, "(" + "-" * 20_000 + "x")
    assert time.process_time() - started < 1


def test_prose_run_is_linear_in_a_pages_paragraphs():
    # 50,000 paragraphs side by side: asking their parent for its number of
    # children once a paragraph (lxml counts them) took 29 s of CPU.
    tree = _tree(f"<p>{_TEASER}</p>" * 50_000)
    started = time.process_time()
    assert prose_run(tree) == 50_000
    assert time.process_time() - started < 5  # about 0.4 s
    # 240 <div> nested (never closed), each with a paragraph, and 20,000 links in
    # the last: a line's text joined again at each link took 3 s (45 s with 80,000).
    nested = _tree(f"<div><p>{_PROSE}</p>" * 240 + "<a href='/n'>w</a>" * 20_000 + "</div>" * 240)
    started = time.process_time()
    prose_run(nested)
    assert time.process_time() - started < 1.5  # about 0.2 s


class _ShortAddresses(QuietHandler):
    """A site whose articles have short addresses and say nothing of their type."""

    def do_GET(self) -> None:
        host = self.headers["Host"]
        if self.path == "/sitemap.xml":
            paths = ("/", "/news/1.html", "/news/2.html", "/news/3.html", "/news/4.html", _GONE)
            entries = "".join(f"<url><loc>http://{host}{path}</loc></url>" for path in paths)
            body = f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</urlset>'
            return self.send_page(body.encode(), "application/xml")
        if self.path in ("/news/1.html", "/news/2.html", "/news/3.html"):
            number = self.path[len("/news/") : -len(".html")]
            paragraphs = "".join(
                f"<p>Story {number}, paragraph {part}: the harbour board met again on Tuesday"
                f" and agreed to spend {number}{part}0,000 on repairs to berth {part}, after"
                " the inspectors found the old timber had rotted through in places.</p>"
                for part in range(1, 6)
            )
            page = f"<html><head><title>Story {number}</title></head><body><h1>Story {number}</h1>{paragraphs}</body></html>"
            return self.send_page(page.encode())
        if self.path == "/news/4.html":  # a brief in short paragraphs
            lines = "".join(
                f"<p>The ferry to the island runs again from Monday, line {line} of the notice.</p>"
                for line in range(1, 6)
            )
            nav = "<nav><a href='/'>Home</a> <a href='#top'>Back to top</a></nav>"
            page = f"<html><head><title>Ferry</title></head><body>{nav}<h1>Ferry</h1>{lines}</body></html>"
            return self.send_page(page.encode())
        if self.path == "/":
            links = "".join(f"<li><a href='/news/{n}.html'>Story {n}</a></li>" for n in (1, 2, 3))
            return self.send_page(f"<html><body><ul>{links}</ul></body></html>".encode())
        return self.send_page(_SORRY)  # 200, as some sites answer for a page they have not


# A story taken down that the sitemap still lists (its address reads as an article's).
_GONE = "/news/2026/03/harbour-master-retires-after-forty-years.html"
_SORRY = (
    # (WordPress's heading for it, under a title that does not say.)
    "<html><head><title>The Quay Courier</title></head><body>"
    "<h1>Oops! That page can’t be found.</h1>"
    "<p>The page you asked for may have been moved or taken down, or its address typed"
    " with a mistake. Try the search box at the top of the page, or start again from"
    " our home page, where the latest news from the quay and the town is waiting.</p>"
    "</body></html>"
).encode()


def test_articles_at_short_addresses_without_metadata_are_stored(tmp_path):
    """They were all taken for hubs: "0 stored from 4 pages fetched", exit 0, and
    the summary did not say what the pages were."""
    db = tmp_path / "a.sqlite"
    with serving(_ShortAddresses) as base:
        result = run(
            "newscrawl", "crawl", "--sitemap", f"{base}/sitemap.xml", "--db", str(db), *FAST
        )
    assert result.returncode == 0, result.stderr.decode()
    with sqlite3.connect(db) as connection:
        stored = sorted(
            url.rsplit("/", 1)[1] for (url,) in connection.execute("SELECT url FROM articles")
        )
    assert stored == ["1.html", "2.html", "3.html", "4.html"], result.stderr.decode()
    assert "newscrawl: pages read as hubs: 1 (" in result.stderr.decode()
    assert "newscrawl: pages without an article: 1 (error_page 1)" in result.stderr.decode()


@pytest.mark.parametrize(
    ("title", "heading"),
    [
        ("Page not found | The Quay Courier", None),
        ("The Quay Courier: Page Not Found", None),
        ("Error 404", None),
        ("404 - Seite nicht gefunden", None),
        ("Page introuvable – Le Courrier", None),
        ("Página no encontrada", None),
        ("Страница не найдена", None),
        ("页面不存在", None),
        ("The Quay Courier", "Sorry, we could not find that page"),
        ("The Quay Courier", "Oops! This page does not exist."),
        ("The Quay Courier", "Oops! That page can’t be found."),
        ("The Quay Courier", "The page you requested could not be found"),
        ("The Quay Courier", "We can't find the page you're looking for"),
        ("The Quay Courier", "Hmm, the page you were looking for doesn't seem to exist anymore."),
        ("Sorry, this article is no longer available | The Quay Courier", None),
        ("The Quay Courier", "Whoops, that page is gone."),
        ("The requested URL was not found on this server", None),
        ("Die angeforderte Seite wurde nicht gefunden", None),
        ("La page demandée n'existe pas", None),
        ("Lo sentimos, la página que buscas no existe", None),
        ("Page not found (404) | The Quay Courier", None),
        ("The Quay Courier", "Erreur 404 - Page non trouvée"),
        ("The Quay Courier", "Story not found"),
        ("The Quay Courier", "Hoppla! Diese Seite konnte nicht gefunden werden."),
        ("The Quay Courier", "Ups! No encontramos la página"),
        ("The Quay Courier", "Lost? This page doesn't exist."),
        ("Yikes! That page can't be found", None),
        ("Sidan hittades inte", None),
        ("Halaman tidak ditemukan", None),
    ],
)
def test_a_page_saying_the_page_asked_for_is_not_there_is_told(title, heading):
    assert says_not_found(title, heading)


@pytest.mark.parametrize(
    ("title", "heading"),
    [
        ("Missing hiker not found after three days | The Quay Courier", None),
        ("Flight 404 lands safely after bird strike", None),
        ("404 days at sea: a sailor's log", None),
        ("The Quay Courier", "Searchers found nothing on the second day"),
        # The page named in a headline that says more than that it is not there.
        ("Article 50 not available to Britain, says EU", None),
        ("Police cannot find the stolen painting", None),
        ("The story of a town that could not find its mayor", None),
        ("Why the front page of the Times did not exist in 1900", None),
        ("Readers could not find the page 3 crossword", None),
        ("The content of the bill is not available to MPs yet", None),
        ("The file that was not found: inside the lost archive", None),
        ("That post was moved to a new home", None),
        ("The story has been removed", None),
        ("Your story is missing", None),
        ("We could not find the page in the archives", None),
        ("Lost at sea: this story has been told before", None),
        # A headline's kicker before a colon is no title part of its own.
        ("Not found: the lost children of the border | The Quay Courier", None),
        ("Error 404: a play in two acts", None),
        ("Page not found: a novel", None),
        (None, None),
    ],
)
def test_a_story_about_something_not_found_is_no_error_page(title, heading):
    assert not says_not_found(title, heading)
