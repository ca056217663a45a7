"""Renders the demo news site as a mapping of path -> (content type, body).

Some article pages are laid out badly on purpose, the way real sites are, so
the demo shows what cleaning removes: a body printed twice around "More From
This Section" (as on the seed page), furniture lines between paragraphs, a pull
quote and a teaser repeating the text.
"""

from __future__ import annotations

from datetime import datetime
from html import escape

from newscrawl.demo.content import ARTICLES, SECTIONS, DemoArticle

__all__ = ["article_path", "render_site"]

Page = tuple[str, bytes]

HTML = "text/html; charset=utf-8"
SITE_NAME = "The Harrowfield Courier"


def article_path(article: DemoArticle) -> str:
    day = datetime.fromisoformat(article.published)
    return f"/{article.section}/{day:%Y/%m/%d}/{article.slug}.html"


def _author_path(name: str) -> str:
    return "/author/" + name.lower().replace(" ", "-") + "/"


def _page(title: str, body: str, head: str = "", og_type: str = "website") -> bytes:
    nav = " | ".join(f'<a href="/section/{key}/">{name}</a>' for key, name in SECTIONS.items())
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>{escape(title)} | {SITE_NAME}</title>
<meta property="og:type" content="{og_type}">
<meta property="og:site_name" content="{SITE_NAME}">
{head}</head><body>
<header><a href="/">{SITE_NAME}</a> | {nav} | <a href="/about/">About</a></header>
{body}
<footer><p>{SITE_NAME} is a demo site written for newscrawl. Its town and people are invented.</p>
<a href="/tag/harrowfield/">All stories</a> <a href="/private/drafts.html">Drafts</a></footer>
</body></html>
""".encode()


def _listing(articles: list[DemoArticle]) -> str:
    items = "".join(
        f'<li><a href="{article_path(a)}">{escape(a.title)}</a> <span>{escape(a.standfirst)}</span></li>'
        for a in articles
    )
    return f"<ul class='stories'>{items}</ul>"


def _paragraphs(texts: list[str] | tuple[str, ...]) -> str:
    return "".join(f"<p>{escape(text)}</p>" for text in texts)


def _body_clean(article: DemoArticle, related: list[DemoArticle]) -> str:
    return f"<div class='story-body'>{_paragraphs(article.paragraphs)}</div>"


def _body_repeated_block(article: DemoArticle, related: list[DemoArticle]) -> str:
    # As on the seed page: the body as <br>-separated text, then a second block
    # repeating most of it around a "More From This Section" label.
    paragraphs = [escape(p) for p in article.paragraphs]
    first = "<br><br>".join(paragraphs)
    second = "<br><br>".join(
        [*paragraphs[1:3], "More From This Section", escape(article.standfirst), *paragraphs[3:]]
    )
    return f"<div class='main-content'>\n<span class='p-content'>{first}</span>\n<div>{second}</div>\n</div>"


def _body_with_furniture(article: DemoArticle, related: list[DemoArticle]) -> str:
    paragraphs = list(article.paragraphs)
    furniture = [
        "Advertisement",
        f"Read more: {related[0].title}",
        "Share this article",
        "Follow us on X and Facebook",
        "Sign up for our newsletter",
    ]
    mixed: list[str] = []
    for index, paragraph in enumerate(paragraphs):
        mixed.append(paragraph)
        if index < len(furniture):
            mixed.append(furniture[index])
    return f"<div class='story-body'>{_paragraphs(mixed)}</div>"


def _body_with_teasers(article: DemoArticle, related: list[DemoArticle]) -> str:
    paragraphs = list(article.paragraphs)
    pull_quote = paragraphs[1].split(", ")[0].rstrip(".") + "."
    if len(pull_quote.split()) < 8:
        pull_quote = paragraphs[1]
    teaser = " ".join(paragraphs[0].split()[:12]) + "…"
    body = _paragraphs(paragraphs[:2]) + f"<blockquote><p>{escape(pull_quote)}</p></blockquote>"
    body += _paragraphs(paragraphs[2:]) + _paragraphs([teaser])
    return f"<div class='story-body'>{body}</div>"


_LAYOUTS = (_body_clean, _body_repeated_block, _body_with_furniture, _body_with_teasers)


def _article_page(index: int, article: DemoArticle) -> bytes:
    same_section = [a for a in ARTICLES if a.section == article.section and a is not article]
    layout = _LAYOUTS[index % len(_LAYOUTS)]
    head = (
        f'<meta property="og:title" content="{escape(article.title)}">\n'
        f'<meta name="description" content="{escape(article.standfirst)}">\n'
        f'<meta name="author" content="{escape(article.author)}">\n'
        f'<meta property="article:published_time" content="{article.published}">\n'
        f'<link rel="canonical" href="{article_path(article)}">\n'
    )
    body = f"""<main><article>
<h1>{escape(article.title)}</h1>
<p class="byline">By <a href="{_author_path(article.author)}" rel="author">{escape(article.author)}</a>,
<time datetime="{article.published}">{article.published[:10]}</time></p>
{layout(article, same_section)}
</article>
<aside><h2>More from {SECTIONS[article.section]}</h2>{_listing(same_section[:3])}</aside></main>"""
    return _page(article.title, body, head, og_type="article")


def render_site() -> dict[str, Page]:
    """Every page of the demo site, keyed by path."""
    pages: dict[str, Page] = {}
    latest = sorted(ARTICLES, key=lambda a: a.published, reverse=True)
    pages["/"] = (HTML, _page(SITE_NAME, f"<main><h1>Latest</h1>{_listing(latest[:10])}</main>"))
    for key, name in SECTIONS.items():
        listed = [a for a in latest if a.section == key]
        pages[f"/section/{key}/"] = (
            HTML,
            _page(name, f"<main><h1>{name}</h1>{_listing(listed)}</main>"),
        )
    for author in sorted({a.author for a in ARTICLES}):
        listed = [a for a in latest if a.author == author]
        pages[_author_path(author)] = (
            HTML,
            _page(author, f"<main><h1>{escape(author)}</h1>{_listing(listed)}</main>"),
        )
    pages["/tag/harrowfield/"] = (HTML, _page("Harrowfield", f"<main>{_listing(latest)}</main>"))
    pages["/about/"] = (
        HTML,
        _page("About", "<main><h1>About</h1><p>A demo news site for newscrawl.</p></main>"),
    )
    pages["/private/drafts.html"] = (
        HTML,
        _page("Drafts", "<main><p>Robots may not read this.</p></main>"),
    )
    pages["/robots.txt"] = ("text/plain", b"User-agent: *\nDisallow: /private/\n")
    for index, article in enumerate(ARTICLES):
        pages[article_path(article)] = (HTML, _article_page(index, article))
    return pages
