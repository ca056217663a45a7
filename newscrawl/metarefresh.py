"""Meta-refresh redirects found in the head of a page, without decoding all of it.

Scrapy's MetaRefreshMiddleware looks for `<meta http-equiv="refresh">` in the
first 4,096 characters of every HTML response, but takes them from
`response.text`, which decodes the whole body first, on the crawler's one event
loop: 150 ms for a 30 MB page, and a decoded copy (up to four bytes a character)
kept with the response. The crawler's process never needs a page's text (a
worker reads the bytes), so this middleware hands Scrapy's the page's first
HEAD_BYTES bytes, which hold those 4,096 characters in the encodings pages use
(UTF-8, UTF-16, the one-byte ones), and follows the same redirects.
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy.downloadermiddlewares.redirect import MetaRefreshMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import HtmlResponse, Request, Response
from scrapy.utils.response import get_meta_refresh

from newscrawl.netguard import REDIRECT_REFUSED, redirect_refusal
from newscrawl.sniff import looks_like_html
from newscrawl.urls import without_password

__all__ = ["HEAD_BYTES", "HeadMetaRefresh"]

logger = logging.getLogger(__name__)

# 4,096 characters of at most four bytes each (UTF-8, UTF-32).
HEAD_BYTES = 4 * 4096


def _may_refresh(head: bytes) -> bool:
    """False only if `head` holds no meta refresh in any encoding Scrapy reads: no
    "refresh" in ASCII letters, and no NUL byte (UTF-16 and UTF-32 write ASCII
    with NULs). Most pages have none, and Scrapy's search decodes the head and
    runs a regular expression over it: 0.3 ms of the crawler's CPU a page."""
    return b"\x00" in head or b"refresh" in head.lower()


class HeadMetaRefresh(MetaRefreshMiddleware):
    def process_response(
        self, request: Request, response: Response, spider: Any = None
    ) -> Request | Response:
        if isinstance(response, HtmlResponse) and not _may_refresh(response.body[:HEAD_BYTES]):
            return response
        if not isinstance(response, HtmlResponse):
            if not (
                not response.headers.get(b"Content-Type")
                and looks_like_html(response.body)
                and _may_refresh(response.body[:HEAD_BYTES])
            ):
                return super().process_response(request, response)
            # No Content-Type, but read as a page by its first tag (sniff.py): its
            # meta refresh is followed as a typed page's is.
            head = HtmlResponse(
                response.url, status=response.status, headers=response.headers,
                body=response.body[:HEAD_BYTES], request=response.request,
            )  # fmt: skip
        elif len(response.body) <= HEAD_BYTES:
            head = response
        else:
            # Built anew, not with response.replace(): that would read the response's
            # encoding, which for a page that declares none is a guess from its whole body.
            head = HtmlResponse(
                response.url, status=response.status, headers=response.headers,
                body=response.body[:HEAD_BYTES], request=response.request,
            )  # fmt: skip
        target = self._check_target(request, head)
        if target is not None and self._same_page(request, target, response.url):
            # A page that reloads itself (a live blog, every minute) is no redirect:
            # followed, the duplicate filter dropped it as a loop, and it was lost.
            # However its URL is written: a letter escaped (%73 for s) is the page.
            return response
        result = super().process_response(request, head)
        return response if result is head else result

    def _same_page(self, request: Request, target: str, url: str) -> bool:
        """Whether `target` is the page at `url`, as the duplicate filter judges: by
        the crawl's request fingerprint (the spider's redirect loops are too)."""
        fingerprint = self.crawler.request_fingerprinter.fingerprint
        return fingerprint(request.replace(url=target)) == fingerprint(request.replace(url=url))

    def _check_target(self, request: Request, head: HtmlResponse) -> str | None:
        """A meta refresh is a redirect written in the page: its target passes the
        checks a Location header's does (newscrawl.netguard.RedirectGuard). Without
        them, javascript:, mailto: or a port past 65535 failed as a bare
        "ValueError", a host with a space was taken for an unreachable site, and
        a URL with credentials was logged, password and all, before the address
        guard refused it. The target Scrapy would follow, without its fragment
        (None: none)."""
        if request.meta.get("dont_redirect") or request.method == "HEAD":
            return None
        try:
            interval, target = get_meta_refresh(head, ignore_tags=self._ignore_tags)
        except ValueError as exc:  # joined with the page's URL: "http://[::1", a bad port
            logger.info("refused the meta refresh of %s: %s", without_password(request.url), exc)
            raise IgnoreRequest(f"{REDIRECT_REFUSED}: a meta refresh to a malformed URL") from None
        if target is None or interval is None or interval >= self._maxdelay:
            return None  # not followed: the page is read as it is
        refusal = redirect_refusal(self.crawler, request, target)
        if refusal is not None:
            raise refusal
        return _without_fragment(target)


def _without_fragment(url: str) -> str:
    return url.partition("#")[0]
