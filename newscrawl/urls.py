"""URL checks and canonical forms, shared by the spiders, extraction and the CLI."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qsl, unquote, urlencode, urljoin, urlsplit, urlunsplit

from w3lib.url import canonicalize_url

from newscrawl.hosts import host_key, netloc_host

__all__ = [
    "InvalidURLError",
    "canonicalize",
    "has_credentials",
    "parse_url",
    "parse_url_list",
    "requested_url",
    "resolve_http_url",
    "same_site",
    "site_of",
    "without_password",
    "without_tracking",
]

_DEFAULT_PORTS = {"http": 80, "https": 443}
# White space anywhere: re's \s is str.isspace (both Py_UNICODE_ISSPACE), searched in
# C: 0.37 against 3.0 us for a URL of 76 characters tested one by one (every link
# resolved reads it).
_SPACE = re.compile(r"\s")
# What no host name holds (the URL Standard's forbidden domain code points; an IPv6
# address, in brackets, is checked by urlsplit): "http://%zz/" or "http://a<b/"
# went on to a DNS lookup that failed, and the crawl said "could not be reached".
_NOT_IN_HOST = re.compile(r"[\x00-\x20#%/:<>?@\[\\\]^|\x7f]")


class InvalidURLError(ValueError):
    """A URL given by the user cannot be crawled."""


def parse_url(text: str) -> str:
    """Return `text` as an absolute http(s) URL, or raise InvalidURLError saying why."""
    url = text.strip()
    if not url:
        raise InvalidURLError("empty URL")
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        # urllib's own words ("Invalid IPv6 URL") do not say which URL: a sites
        # file or a list of start URLs may hold hundreds.
        raise InvalidURLError(f"malformed URL: {text!r} ({exc})") from None
    if parts.scheme not in _DEFAULT_PORTS:
        hint = " (add http:// or https://)" if "://" not in url else ""
        raise InvalidURLError(f"not an http(s) URL: {text!r}{hint}")
    try:
        port = parts.port  # reading it raises ValueError on a malformed port
    except ValueError:
        port = 0
    if port == 0:  # no server listens on port 0: a connection to it always fails
        raise InvalidURLError(f"bad port in URL: {text!r}") from None
    host = parts.hostname
    if host and "%" in host:
        host = unquote(host)  # "m%C3%BCnchen.de" is a host, "%zz" none
    if not host or _SPACE.search(url) or (":" not in host and _NOT_IN_HOST.search(host)):
        raise InvalidURLError(f"malformed URL: {text!r}")
    if has_credentials(url):
        # A password in a URL ends up in logs, stats and stored rows; refused, and
        # never repeated in the message.
        raise InvalidURLError(
            f"a URL with credentials (user:password@) is not crawled: {without_password(url)!r}"
        )
    return url


def has_credentials(url: str) -> bool:
    """Whether `url` carries a user name or password (user:password@host)."""
    if "@" not in url:  # the common case, without splitting it (every link of a page)
        return False
    try:
        netloc = urlsplit(url).netloc
    except ValueError:  # not even split ("http://u:p@[::1"): its host part as written
        netloc = url.partition("://")[2].partition("/")[0]
    return "@" in netloc


def parse_url_list(values: str | Iterable[str]) -> list[str]:
    """Parse URLs given as one comma-separated string or as a list; keep order, drop repeats."""
    items = values.split(",") if isinstance(values, str) else list(values)
    # A dict keeps the order and drops a repeat in constant time: a sites file may
    # list a hundred thousand start URLs, and a list's `in` made that quadratic.
    urls = dict.fromkeys(parse_url(item) for item in items if item.strip())
    if not urls:
        raise InvalidURLError("no URL given")
    return list(urls)


def resolve_http_url(url: str, base: str | None = None) -> str | None:
    """Resolve `url` against `base`; None unless the result is an http(s) URL."""
    try:
        # urljoin and urlsplit raise ValueError on a bracketed host that is not an
        # IP address ("//[ccpa-preferences]"), which pages do write in their links.
        return parse_url(urljoin(base, url) if base else url)
    except ValueError:
        return None


# Query arguments that identify a campaign or a click, not a page.
_TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "msclkid",
        "yclid",
        "igshid",
        "mc_cid",
        "mc_eid",
        "_hsenc",
        "_hsmi",
    }
)


# Query arguments that name a visitor's session, not a page: a site that keeps its
# sessions in its links (no cookies: a crawl sends none) gives every page's links
# a new one, and each article was fetched and stored again under each (40 rows of
# 5 articles in a crawl of 40 pages). Not "sid", which names a story on some sites.
_SESSION_PARAMS = frozenset(
    {"phpsessid", "jsessionid", "sessionid", "session_id", "cfid", "cftoken", "oscsid", "zenid"}
)
# The same, as a path parameter: /story.html;jsessionid=0A1B2C (Java servlets).
_SESSION_PATH_PARAM = re.compile(r";jsessionid=[^/?#]*", re.IGNORECASE)


def _is_tracking(name: str) -> bool:
    name = name.lower()
    return (
        name.startswith(("utm_", "aspsessionid"))
        or name in _TRACKING_PARAMS
        or name in _SESSION_PARAMS
    )


def without_tracking(url: str) -> str:
    """`url` without its tracking and session arguments (see canonicalize), the
    rest as written: the address a link is requested at. A site that adds a new
    ?utm_source= or session to every link had its articles fetched once a link,
    its page budget spent on a few articles."""
    if "?" not in url and ";" not in url:
        return url
    head, mark, fragment = url.partition("#")
    path, question, query = head.partition("?")
    if ";" in path:
        path = _SESSION_PATH_PARAM.sub("", path)
    if query:
        pieces = query.split("&")
        kept = [
            piece
            for piece in pieces
            if not _is_tracking(unquote(piece.partition("=")[0].replace("+", " ")))
        ]
        if len(kept) < len(pieces):
            query = "&".join(piece for piece in kept if piece)
    return path + (question if query else "") + query + mark + fragment


def _is_amp_switch(name: str, value: str) -> bool:
    """?amp, ?amp=1, ?outputType=amp: the AMP rendering of the same article."""
    name, value = name.lower(), value.lower()
    return (name == "amp" and value in ("", "1", "true")) or (
        name in ("outputtype", "output") and value == "amp"
    )


def _without_amp_path(path: str) -> str:
    """/news/story/amp and /news/story/amp/ are /news/story's AMP rendering."""
    trimmed = path.rstrip("/")
    if trimmed.endswith("/amp") and len(trimmed) > len("/amp"):
        return trimmed[: -len("/amp")] or "/"
    return path


# A crawl canonicalizes an article's address several times (its request, the
# frontier's pending and done marks): remembered, 2 of every 3 calls are free.
@lru_cache(maxsize=4096)
def canonicalize(url: str) -> str:
    """The form used as an article's key: lower-case host, no default port or fragment,
    no tracking or session arguments (utm_*, fbclid, PHPSESSID, ...), no AMP switch (a trailing /amp,
    ?amp=1, ?outputType=amp), the rest sorted and percent-encoding normalised."""
    parts = urlsplit(url)
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if not _is_tracking(k) and not _is_amp_switch(k, v)
    ]
    path = _without_amp_path(_SESSION_PATH_PARAM.sub("", parts.path))
    parts = parts._replace(path=path, query=urlencode(query))
    parts = urlsplit(canonicalize_url(parts.geturl()))
    netloc = parts.hostname or ""
    if ":" in netloc:  # an IPv6 literal, in its one spelling (as site keys have it)
        netloc = netloc_host(host_key(netloc))
    if parts.port and parts.port != _DEFAULT_PORTS.get(parts.scheme):
        netloc = f"{netloc}:{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))


def site_of(url: str) -> str:
    """The name of the site an URL starts: its host (in IDNA form) without a
    leading "www.", with the port when it is not the scheme's default (two test
    servers on one host are two sites); an IPv6 literal in brackets, as in the
    URL ("[::1]:8080")."""
    parts = urlsplit(url)
    site = netloc_host(host_key(parts.hostname or "").removeprefix("www."))
    if parts.port and parts.port != _DEFAULT_PORTS.get(parts.scheme):
        site = f"{site}:{parts.port}"
    return site


def same_site(site: str, other: str) -> bool:
    """True if two sites (as `site_of` names them) are one: equal, or one a
    sub-domain of the other (edition.courier.test and courier.test)."""
    return site == other or site.endswith("." + other) or other.endswith("." + site)


def without_password(url: str) -> str:
    """`url` with its password (a database's, Redis's, a crawled URL's) replaced
    by ***: what messages and logs may show."""
    try:
        parts = urlsplit(url)
    except ValueError:
        # Not even split (an unclosed "[" in the host), and still to be named in
        # the message that says so: nothing shown before the host's "@".
        scheme, sep, rest = url.partition("://")
        return f"{scheme}{sep}***@{rest.rpartition('@')[2]}" if "@" in rest else url
    try:
        if parts.password is None:
            return url
        _ = parts.port
    except ValueError:  # a malformed port: show nothing of the credentials
        return urlunsplit(parts._replace(netloc="***@" + parts.netloc.rpartition("@")[2]))
    port = f":{parts.port}" if parts.port else ""
    host = netloc_host(parts.hostname or "")
    return urlunsplit(parts._replace(netloc=f"{parts.username or ''}:***@{host}{port}"))


def requested_url(message: Any) -> str:
    """The URL a Scrapy request or response was asked for: after redirects, the
    first of them. What the user gave (`scrape URL`) is what a report names."""
    try:
        redirects = message.meta.get("redirect_urls")
    except AttributeError:  # None, or a response without its request
        redirects = None
    return str(redirects[0]) if redirects else str(getattr(message, "url", "?"))
