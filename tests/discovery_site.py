"""Writes the discovery test sites: a site with robots.txt, a sitemap index, a news
sitemap, a gzipped sitemap, an RSS and an Atom feed, and a site with links only.
Pages are invented for these tests."""

from __future__ import annotations

import gzip
from pathlib import Path

TOPICS = {
    "a1": ("Tram line extension opens to the airport", None),
    "a2": ("Lighthouse museum wins heritage award", "2026-11-02T08:00:00+00:00"),
    "a3": ("Bridge tolls to be scrapped next spring", "2026-11-03T08:00:00+00:00"),
    "a4": ("Night market returns to the old harbour", "2026-11-04T08:00:00+00:00"),
    "a5": ("Choir of dock workers records an album", "2026-11-05T08:00:00+00:00"),
    "a6": ("Island ferry adds a late Friday crossing", "2026-11-06T08:00:00+00:00"),
}
LINKED = {
    "b1": "Orchard growers report a record apple harvest",
    "b2": "Village school opens a weather station on its roof",
}


def article_page(title: str, published: str | None, extra: str = "") -> str:
    date_meta = (
        f'<meta property="article:published_time" content="{published}">' if published else ""
    )
    words = title.lower().split()
    paragraphs = "".join(
        f"<p>Paragraph {n} of the story about the {' '.join(words[-3:])}: residents, officials and "
        f"visitors told our reporter how the change of the {words[0]} affected their week {n}.</p>"
        for n in range(1, 4)
    )
    return (
        f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{title}</title>"
        f"<meta property='og:type' content='article'>{date_meta}</head>"
        f"<body><article><h1>{title}</h1>{paragraphs}{extra}</article></body></html>"
    )


def hub_page(title: str, links: list[str], feeds: str = "") -> str:
    items = "".join(f"<li><a href='{href}'>{href}</a></li>" for href in links)
    return (
        f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{title}</title>"
        f"<meta property='og:type' content='website'>{feeds}</head>"
        f"<body><h1>{title}</h1><p>Latest stories from our newsroom.</p><ul>{items}</ul></body></html>"
    )


def url_entry(base: str, slug: str, lastmod: str) -> str:
    return f"<url><loc>{base}news/{slug}.html</loc><lastmod>{lastmod}</lastmod></url>"


def news_entry(base: str, slug: str, published: str, title: str) -> str:
    return (
        f"<url><loc>{base}news/{slug}.html</loc><news:news><news:publication>"
        f"<news:name>Tidewater Post</news:name><news:language>en</news:language></news:publication>"
        f"<news:publication_date>{published}</news:publication_date><news:title>{title}</news:title>"
        "</news:news></url>"
    )


NEWS_NS = (
    '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
    'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">'
)


def write_feed_site(
    root: Path, base: str, news: list[tuple[str, str, str]], plain_lastmod: dict[str, str]
) -> None:
    """The feed site: articles only reachable through sitemaps and feeds."""
    (root / "news").mkdir(parents=True, exist_ok=True)
    (root / "section").mkdir(exist_ok=True)
    (root / "robots.txt").write_text(
        "User-agent: *\nDisallow: /private/\nSitemap: /sitemap_index.xml\n"
    )
    feeds = (
        '<link rel="alternate" type="application/rss+xml" href="/rss.xml">'
        '<link rel="alternate" type="application/atom+xml" href="/atom.xml">'
    )
    (root / "index.html").write_text(hub_page("Tidewater Post", ["/section/city.html"], feeds))
    (root / "section" / "city.html").write_text(hub_page("City", ["/"]))
    (root / "sitemap_index.xml").write_text(
        '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"<sitemap><loc>{base}news_sitemap.xml</loc></sitemap>"
        f"<sitemap><loc>{base}pages_sitemap.xml.gz</loc></sitemap></sitemapindex>"
    )
    (root / "news_sitemap.xml").write_text(
        NEWS_NS + "".join(news_entry(base, *entry) for entry in news) + "</urlset>"
    )
    plain = (
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        + f"<url><loc>{base}section/city.html</loc></url>"
        + "".join(url_entry(base, slug, lastmod) for slug, lastmod in plain_lastmod.items())
        + "</urlset>"
    )
    (root / "pages_sitemap.xml.gz").write_bytes(gzip.compress(plain.encode()))
    title5, _ = TOPICS["a5"]
    (root / "rss.xml").write_text(
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>Tidewater Post</title>'
        f"<item><title>{title5}</title><link>{base}news/a5.html</link>"
        f"<pubDate>Thu, 05 Nov 2026 08:00:00 GMT</pubDate></item></channel></rss>"
    )
    title6, _ = TOPICS["a6"]
    (root / "atom.xml").write_text(
        '<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Tidewater Post</title>'
        f'<entry><title>{title6}</title><link href="{base}news/a6.html"/>'
        "<updated>2026-11-06T08:00:00Z</updated><id>a6</id></entry></feed>"
    )


def write_article(
    root: Path, slug: str, title: str, published: str | None, extra: str = ""
) -> None:
    (root / "news" / f"{slug}.html").write_text(article_page(title, published, extra))


def write_link_site(root: Path) -> None:
    """The links-only site: no robots.txt, no sitemap, no feed."""
    (root / "news").mkdir(parents=True, exist_ok=True)
    (root / "tag").mkdir(exist_ok=True)
    (root / "index.html").write_text(hub_page("Valley Gazette", ["/tag/farming.html"]))
    (root / "tag" / "farming.html").write_text(
        hub_page("Farming", [f"/news/{s}.html" for s in LINKED])
    )
    for slug, title in LINKED.items():
        write_article(root, slug, title, "2026-11-07T09:00:00+00:00")
