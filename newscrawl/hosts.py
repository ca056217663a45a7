"""Host names in one form, and which site a host belongs to.

Everything that compares hosts (seeds, links, sitemap entries, redirects, the
address guard, the site of a stored row) compares `host_key`s: lower case, no
trailing dot, internationalised names in their IDNA (punycode) form, which is
also the form Scrapy puts in a request's URL. `bücher.test` and
`xn--bcher-kva.test` are one host.

A site owns a *registrable domain* and all its sub-domains: `news.example.co.uk`
and `www.example.co.uk` are both `example.co.uk` (the Public Suffix List decides
where the registrable part starts, through tldextract's bundled copy: never
fetched). A name under a suffix the list does not know (`.test`, `.internal`,
an intranet's own) is taken to end in a one-label suffix, so `a.harbour.test`
and `b.harbour.test` are one site. An IP address is its own registrable domain.
A port other than the scheme's default is part of the key: two servers on one
host are two sites.
"""

from __future__ import annotations

import ipaddress
from functools import cache, lru_cache
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from w3lib.url import safe_url_string

if TYPE_CHECKING:
    import tldextract

__all__ = [
    "DEFAULT_PORTS",
    "host_key",
    "netloc_host",
    "registrable_domain",
    "site_key",
    "url_port",
]

DEFAULT_PORTS = {"http": 80, "https": 443}


@cache
def _extractor() -> tldextract.TLDExtract:
    """The bundled snapshot of the Public Suffix List only: no download, no cache files.
    Private suffixes (github.io, blogspot.com) count, so two blogs there are two sites.

    Made at the first host name that needs it, not at import: tldextract imports
    requests (for downloads newscrawl never asks for), ~0.15 s of CPU that every
    process importing this module paid, the crawler, its workers' fork server and
    each `newscrawl` command, even those that never see a host name (an IP
    address needs no list)."""
    import tldextract

    return tldextract.TLDExtract(
        suffix_list_urls=(), cache_dir=None, include_psl_private_domains=True
    )


@lru_cache(maxsize=65536)
def host_key(host: str) -> str:
    """`host` as every comparison sees it: lower case, IDNA, no trailing dot.
    An IPv6 literal loses its brackets and is written in its one short form
    ([0:0::1] and [::1] are one host, as they are one address to connect to);
    a name IDNA cannot encode stays as it is (lower-cased), and so matches
    nothing but itself."""
    host = host.strip().strip("[]").rstrip(".").lower()
    if ":" in host:  # no name has a colon: an IPv6 literal, or nothing that connects
        try:
            return str(ipaddress.IPv6Address(host))
        except ValueError:
            return host
    if not host or host.isascii():
        return host
    try:
        # The same conversion Scrapy applies to every request URL.
        encoded = urlsplit(safe_url_string(f"http://{host}/")).hostname
    except (UnicodeError, ValueError):
        return host
    return encoded or host


def netloc_host(host: str) -> str:
    """`host` as a URL's netloc writes it: an IPv6 literal in brackets, so that a
    port after it is not read as part of the address ("[::1]:8080" is port 8080
    of ::1; "::1:8080" could as well be the address ::1:8080 on port 80)."""
    return f"[{host}]" if ":" in host else host


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


@lru_cache(maxsize=65536)
def registrable_domain(host: str) -> str:
    """The part of `host` that a site owns with all its sub-domains."""
    key = host_key(host)
    if not key or _is_ip(key):
        return key
    parts = _extractor()(key)
    if parts.suffix:
        return f"{parts.domain}.{parts.suffix}" if parts.domain else key
    return ".".join(key.split(".")[-2:])


def url_port(url: str) -> int | None:
    """The port `url` names, or its scheme's default; None for a malformed port."""
    parts = urlsplit(url)
    try:
        return parts.port or DEFAULT_PORTS.get(parts.scheme)
    except ValueError:
        return None


# A link is judged by its site at every page that has it (a site's menu is on
# every page), and a fetched page's address again and again: remembered, as
# canonicalize is. 4.4 us a call otherwise; a link-discovered crawl of 400 pages
# spent 0.37 ms of the crawler's process a page in parse's `owns` (2026-12-02).
@lru_cache(maxsize=4096)
def site_key(url: str) -> str:
    """The registrable domain of `url`'s host, with the port when it is not the
    scheme's default: what a URL must share with a site's seeds to be that site's.
    An IPv6 literal is in brackets, as in the URL."""
    parts = urlsplit(url)
    domain = netloc_host(registrable_domain(parts.hostname or ""))
    port = url_port(url)
    if port is not None and port != DEFAULT_PORTS.get(parts.scheme):
        return f"{domain}:{port}"
    return domain
