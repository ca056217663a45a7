"""Is a page an article or a hub (home, section, tag, author page)?

Decided cheaply, before extraction, from what the page says about itself, the
shape of its URL and, where neither tells, the shape of its text. Hubs are
followed for links but not stored.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from urllib.parse import parse_qsl, urlsplit

__all__ = [
    "ARTICLE",
    "ERROR_PAGE_MAX_WORDS",
    "HUB",
    "INDEX_FILE",
    "PROSE_RUN",
    "classify_page",
    "is_front_page",
    "says_not_found",
]

ARTICLE = "article"
HUB = "hub"

# schema.org types that mean "this page is one article".
_ARTICLE_TYPES = {
    "article", "newsarticle", "reportagenewsarticle", "analysisnewsarticle",
    "opinionnewsarticle", "reviewnewsarticle", "backgroundnewsarticle", "blogposting",
    "liveblogposting", "report", "techarticle", "scholarlyarticle",
}  # fmt: skip
_HUB_TYPES = {"collectionpage", "website", "searchresultspage", "profilepage", "itemlist"}
_HUB_PATH = re.compile(
    r"/(?:tags?|topics?|authors?|category|categories|sections?|search|archives?|page"
    r"|about|contact|newsletters?|subscribe|login|account|feeds?)(?:/|$)",
    re.IGNORECASE,
)
_DATE_PATH = re.compile(
    r"/(?:19|20)\d\d[/-](?:0?[1-9]|1[0-2])(?:[/-](?:0?[1-9]|[12]\d|3[01]))?(?:/|-)"
)
# An address that ends at its date is the archive of that year, month or day
# ("/2024/05/"), a list of that time's stories, not one of them.
# ("/story/2024", a short number, is no year: a year alone is one at the root.)
_DATE_ARCHIVE = re.compile(
    r"/(?:19|20)\d\d/(?:0?[1-9]|1[0-2])(?:/(?:0?[1-9]|[12]\d|3[01]))?/?$|^/(?:19|20)\d\d/?$"
)
_LONG_ID = re.compile(r"\d{6,}")


def _slug_words(segment: str) -> int:
    stem = re.sub(r"\.(?:s?html?|php|aspx?)$", "", segment, flags=re.IGNORECASE)
    return len([part for part in re.split(r"[-_]", stem) if part])


# A page that states no type and whose address is no article's (a short slug,
# "/news/ferry-fees.html", a small number, "/story/4512") is an article when it
# holds at least this many paragraphs of prose side by side (see
# pageworker.prose_run): a site with no og:type or JSON-LD and such addresses had
# none of its articles stored ("0 stored from 21 pages fetched"). A hub's teasers
# stand each in its own card, or between the linked headlines they go with.
PROSE_RUN = 3


# The front page's file names ("/index.html" is "/"), and the query keys the front
# page may take (its language, a campaign's tracking).
INDEX_FILE = re.compile(r"(?:index|default|home)\.(?:html?|php|aspx?|jsp)$", re.IGNORECASE)
_FRONT_QUERY_KEYS = frozenset({"lang", "language", "hl", "locale", "amp", "ref"})


def _front_query(query: str) -> bool:
    """Whether a query string is one the front page may take: no key but a
    language, an AMP flag or a campaign's tracking ("?p=123" is an article's)."""
    keys = {key.lower() for key, _ in parse_qsl(query, keep_blank_values=True)}
    return all(key in _FRONT_QUERY_KEYS or key.startswith("utm_") for key in keys)


def is_front_page(url: str) -> bool:
    """Whether `url` is a site's front page: "/", "/index.php", "/?lang=en"."""
    parts = urlsplit(url)
    return INDEX_FILE.sub("", parts.path or "/") == "/" and _front_query(parts.query)


def classify_page(
    url: str,
    og_type: str | None = None,
    ld_types: Iterable[str] = (),
    prose_run: Callable[[], int] | None = None,
) -> str:
    """Return ARTICLE or HUB for the page at `url` with the given metadata;
    `prose_run`, where they do not tell, gives the page's longest run of prose
    paragraphs (see PROSE_RUN)."""
    if is_front_page(url):
        # Before what the page says of itself: a theme that marks every page
        # og:type "article" had the front page stored, overwritten each run.
        return HUB
    types = {t.strip().casefold() for t in ld_types}
    if types & _ARTICLE_TYPES:
        return ARTICLE
    og = (og_type or "").strip().casefold()
    if og == "article" or og.startswith("article:"):
        return ARTICLE
    if types & _HUB_TYPES or og == "website":
        return HUB
    path = urlsplit(url).path
    if _HUB_PATH.search(path) or _DATE_ARCHIVE.search(path):
        return HUB
    last = path.rstrip("/").rsplit("/", 1)[-1]
    if _DATE_PATH.search(path + "/") or _LONG_ID.search(last) or _slug_words(last) >= 4:
        return ARTICLE
    if prose_run is not None and path.strip("/") and prose_run() >= PROSE_RUN:
        return ARTICLE  # (a home page is a hub, whatever it shows: a blog's shows posts)
    return HUB


# A site that answers an address it has no page for with 200 and a page that says
# so (a "soft 404": a removed story its sitemap still lists, a mistyped link) had
# that page stored as an article under each such address. Told by its title (one
# of the parts between its separators: "Page not found | The Courier") or its
# first heading saying no more than that, and by its text being short: a story
# titled "Not found" is longer.
ERROR_PAGE_MAX_WORDS = 200
# What a site may put before it: "Oops!", "Sorry,", "Hoppla!", "Lo sentimos,".
_INTERJECTION = (
    r"(?:(?:oops|oups|ups|upps|whoops|hoppla|sorry|hmm+|uh\W*oh|oh\W*no|we're\s+sorry"
    r"|lost|whoa|yikes|ouch|aw\W*snap|d'oh"
    r"|apologies|désolé|spiacenti|lo\s+sentimos|entschuldigung|leider)\W+)*"
)
_NOT_FOUND = re.compile(
    _INTERJECTION + r"(?:(?:(?:error|erreur|fehler|errore|erro|ошибка|hata|خطأ)\W*)?404"
    r"(?:\W*(?:error|erreur|fehler))?(?:\W*(?:page|file)?\W*not\W*found)?"
    r"|(?:the\W*|this\W*)?(?:page|file|article|content|story|post)\W*"
    r"(?:was\W*|is\W*)?(?:not\W*found|cannot\W*be\W*found|could\W*not\W*be\W*found"
    r"|does\W*not\W*exist|doesn\W*t\W*exist|not\W*available)"
    r"|not\W*found|nothing\W*found"
    r"|we\W*(?:could\W*not|couldn\W*t|can\W*not|can\W*t)\W*find\W*(?:that|the|this)\W*page"
    r"|(?:die\W*|diese\W*)?(?:angeforderte\W*|gesuchte\W*)?seite\W*(?:wurde\W*|konnte\W*)?"
    r"(?:leider\W*)?nicht\W*gefunden(?:\W*werden)?|(?:diese\W*)?seite\W*existiert\W*(?:leider\W*)?nicht"
    r"|page\W*(?:non\W*trouv[ée]e|introuvable)"
    r"|(?:(?:la|cette)\W*)?page\W*(?:(?:que\W*vous\W*(?:recherchez|cherchez)|demand[ée]e"
    r"|recherch[ée]e)\W*)?(?:n\W*existe\W*(?:pas|plus)|est\W*introuvable)"
    r"|p[áa]gina\W*no\W*encontrada|p[áa]gina\W*n[ãa]o\W*encontrada|pagina\W*non\W*trovata"
    r"|(?:la\W*)?p[áa]gina\W*(?:que\W*buscas\W*|solicitada\W*)?no\W*existe"
    r"|no\W*encontramos\W*la\W*p[áa]gina"
    r"|(?:la\W*)?pagina\W*(?:richiesta\W*|che\W*cerchi\W*)?non\W*esiste"
    r"|(?:a\W*)?p[áa]gina\W*(?:que\W*(?:voc[êe]\W*procura|procuras)\W*)?n[ãa]o\W*existe"
    r"|pagina\W*niet\W*gevonden|(?:deze\W*)?pagina\W*bestaat\W*niet"
    r"|strona\W*nie\W*(?:zosta[łl]a\W*)?znaleziona|nie\W*znaleziono\W*strony"
    r"|sayfa\W*bulunamad[ıi]"
    r"|страница\W*не\W*найдена|(?:такой\W*)?страницы\W*не\W*существует"
    r"|страница\W*не\W*существует|сторінк[уа]\W*не\W*знайден[оа]"
    r"|sidan\W*(?:hittades\W*inte|kunde\W*inte\W*hittas|finns\W*inte)"
    r"|siden\W*(?:blev|ble)\W*ikke\W*(?:fundet|funnet)|siden\W*(?:findes|finnes)\W*ikke"
    r"|sivua\W*ei\W*(?:löytynyt|löydy)|str[áa]nka\W*(?:nenalezena|nebyla\W*nalezena|nenájdená)"
    r"|halaman\W*tidak\W*(?:ditemukan|dijumpai)|η\W*σελ[ίι]δα\W*δεν\W*βρ[έε]θηκε"
    r"|(?:az\W*)?oldal\W*nem\W*tal[áa]lhat[óo]|pagina\W*nu\W*a\W*fost\W*g[ăa]sit[ăa]"
    r"|الصفحة\W*غير\W*موجودة|لم\W*يتم\W*العثور\W*على\W*الصفحة"
    r"|页面不存在|页面未找到|找不到(?:该)?页面|网页不存在|頁面不存在"
    r"|ページが見つかりません|お探しのページは見つかりませんでした|페이지를\W*찾을\W*수\W*없습니다)",
    re.IGNORECASE,
)
# A title's parts: "Page not found | The Courier", "Erreur 404 - Page non trouvée".
_PARTS = re.compile(r"\s+[-–—|·»]\s+|\s*[|·»]\s*")
# A part after a colon: "The Courier: Page not found". The part before one is a
# headline's kicker ("Not found: the lost children of the border"): not looked at
# alone (the whole part is).
_AFTER_COLON = re.compile(r":\s+")
# "Page not found (404)", "Not Found (#404)".
_404_IN_BRACKETS = re.compile(r"\s*\(\s*(?:error\s*)?#?\s*404\s*\)")
# No site's own words for a missing page run longer; a longer title is not
# searched (it is the page author's text: its patterns' time must stay bounded).
SAYS_NOT_FOUND_MAX_CHARS = 300
_EDGES = " \t\n\r\xa0.!:;,-–—()[]«»\"'"
# What a site's own sentence about the page asked for says, in more words than
# the phrases above: "Oops! That page can't be found." (WordPress's heading),
# "We can't find the page you're looking for", "The page you requested could
# not be found", "Sorry, this article is no longer available", "Whoops, that
# page is gone." The sentence is the whole part, but for an interjection before
# it: the page named as the one at hand ("this page", "that story") or as the
# one asked for ("the page you requested", "the requested URL"), then only the
# words of a verb and its negation. A headline says more, or of another page:
# "Article 50 not available to Britain", "The file that was not found", "The
# story has been removed", "We could not find the page in the archives".
_PAGE_NOUN = r"(?:page|article|story|content|file|url|link|post)"
_ASKED = r"\s+(?:you(?:'re|\s+are|\s+were|\s+have)?|that\s+you)(?:\s+[\w']+){1,3}?"
_THE_PAGE = (
    rf"(?:(?:this|that)\s+{_PAGE_NOUN}(?:{_ASKED})?"
    rf"|the\s+{_PAGE_NOUN}{_ASKED}|(?:the|this)\s+requested\s+{_PAGE_NOUN}(?:{_ASKED})?)"
)
_VERB = (
    r"(?:\s+(?:is|was|has|have|been|be|could|can|cannot|can't|couldn't|does|doesn't|did|"
    r"didn't|isn't|wasn't|not|no|longer|seem|seems|to|may|might|appears?|currently|"
    r"any|anymore|more))*"
)
_SAYS_GONE = re.compile(
    _INTERJECTION
    + r"(?:"
    + _THE_PAGE
    + _VERB
    + r"\s+(?:found|exists?|available|located|gone|removed|deleted|unavailable)"
    + r"|(?:we|i)"
    + _VERB
    + r"\s+(?:unable\s+to\s+)?(?:find|locate)\s+"
    + _THE_PAGE
    + r"|(?:page|article|content)\s+(?:is\s+)?(?:unavailable|not\s+available)"
    + r")(?:\s+(?:anymore|any\s+more|on\s+this\s+(?:site|server)))?",
    re.IGNORECASE,
)
# Said of the page with a negation, or with a word that is one ("gone", "removed").
_NEGATION = re.compile(
    r"\bnot\b|n't\b|\bno\s+longer\b|\bcannot\b|\bunable\b|\bunavailable\b"
    r"|\b(?:gone|removed|deleted)\b",
    re.IGNORECASE,
)


def says_not_found(title: str | None, heading: str | None) -> bool:
    """Whether a page's `title` or first `heading` (or one of their parts, see
    _PARTS) says that the page asked for is not there ("Page not found | The
    Courier", "Error 404", "Seite nicht gefunden", "Oops! That page can't be
    found.")."""
    for text in (title, heading):
        if not text or len(text) > SAYS_NOT_FOUND_MAX_CHARS:
            continue
        text = _404_IN_BRACKETS.sub("", text.replace("\u2019", "'"))
        for part in _PARTS.split(text):
            for sentence in {part.strip(_EDGES), _AFTER_COLON.split(part)[-1].strip(_EDGES)}:
                if _NOT_FOUND.fullmatch(sentence) or (
                    _SAYS_GONE.fullmatch(sentence) and _NEGATION.search(sentence)
                ):
                    return True
    return False
