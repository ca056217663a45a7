"""Keep the crawler away from addresses it was not sent to (SSRF).

Links, redirects and DNS answers are written by whoever runs the site. Left
alone, a crawler follows `http://169.254.169.254/` (a cloud's metadata service),
`http://127.0.0.1:6379/` or an intranet page into its output. newscrawl refuses:

- any scheme but http and https (the file, data, ftp and s3 download handlers
  are also switched off in the settings);
- any address that is not globally routable: loopback, private, link-local
  (metadata services), carrier-grade NAT, multicast, reserved, IPv4-mapped forms.

The check is made twice: on the URL of every request (redirects included), for
IP literals, so that they are refused before any connection; and on every DNS
answer (GuardedResolver), so that a name pointing to an internal address, or one
that changes its answer between two lookups (DNS rebinding), is refused too.

A crawl whose start URL is itself such an address (the demo, a test site, an
intranet) may reach exactly the addresses of its start URLs' hosts: an IP
literal as given, a name as it resolved the first time. NEWSCRAWL_ALLOW_HOSTS
adds host names or addresses; NEWSCRAWL_ADDRESS_GUARD = False turns it all off.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from scrapy import signals
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request
from scrapy.resolver import CachingThreadedResolver
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.error import DNSLookupError

if TYPE_CHECKING:
    from collections.abc import Sequence

    from scrapy.crawler import Crawler
    from twisted.internet.defer import Deferred

__all__ = [
    "ADDRESS_REFUSED",
    "AddressGuard",
    "AddressPolicy",
    "GuardedResolver",
    "is_internal",
    "policy",
]

logger = logging.getLogger(__name__)

ADDRESS_REFUSED = "address refused"
ALLOWED_SCHEMES = frozenset({"http", "https"})


def _ip(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def is_internal(address: str) -> bool:
    """True for an IP address that is not globally routable (IPv4-mapped IPv6
    addresses are judged by the IPv4 address they carry). Not an IP: False."""
    ip = _ip(address)
    if ip is None:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not ip.is_global or ip.is_multicast


class AddressPolicy:
    """Which internal addresses this crawl may reach.

    One per process: Scrapy's resolver is process-wide, and a newscrawl process
    runs one crawl."""

    def __init__(self) -> None:
        self.enabled = True
        self.allowed_names: set[str] = set()  # seeds' host names, pinned at first lookup
        self.allowed_addresses: set[str] = set()
        self.refused_names: dict[str, str] = {}  # host name -> why its answer was refused

    def reset(
        self, seeds: Iterable[str], extra_hosts: Iterable[str] = (), enabled: bool = True
    ) -> None:
        self.enabled = enabled
        self.allowed_names.clear()
        self.allowed_addresses.clear()
        self.refused_names.clear()
        hosts = [urlsplit(url).hostname or "" for url in seeds] + list(extra_hosts)
        for host in filter(None, (h.strip().lower() for h in hosts)):
            ip = _ip(host)
            if ip is not None:
                self.allowed_addresses.add(str(ip))
            else:
                self.allowed_names.add(host)

    def url_refusal(
        self, url: str, scheme: str | None = None, host: str | None = None
    ) -> str | None:
        """Why a request to `url` may not go out (scheme, IP literal), or None."""
        if not self.enabled:
            return None
        if scheme is None or host is None:
            parts = urlsplit(url)
            scheme, host = parts.scheme, parts.hostname or ""
        if scheme not in ALLOWED_SCHEMES:
            return f"scheme {scheme}: not http or https"
        ip = _ip(host)
        if ip is not None and is_internal(str(ip)) and str(ip) not in self.allowed_addresses:
            return f"{host} is an internal address"
        return self.refused_names.get(host.lower())

    def answer_refusal(self, name: str, address: str) -> str | None:
        """Why the DNS answer `address` for `name` may not be used, or None. The
        first answer for an allowed name is pinned: a later, different internal
        answer (rebinding) is refused."""
        if not self.enabled or not is_internal(address) or address in self.allowed_addresses:
            return None
        if name.lower() in self.allowed_names:
            self.allowed_names.discard(name.lower())
            self.allowed_addresses.add(address)
            return None
        why = f"{name} resolves to the internal address {address}"
        self.refused_names[name.lower()] = why
        return why


policy = AddressPolicy()


class GuardedResolver(CachingThreadedResolver):
    """Scrapy's caching resolver, refusing answers the address policy forbids.

    Set as TWISTED_DNS_RESOLVER. Every connection Scrapy makes looks its host up
    here (IPv4 literals included), so what is refused is never dialled."""

    def getHostByName(self, name: str, timeout: Sequence[int] = ()) -> Deferred[str]:
        answer = self.lookup(name, timeout)
        answer.addCallback(self._checked, name)
        return answer

    def lookup(self, name: str, timeout: Sequence[int] = ()) -> Deferred[str]:
        """The address of `name`, unchecked (the system's resolver, cached)."""
        return super().getHostByName(name, timeout)

    @staticmethod
    def _checked(address: str, name: str) -> str:
        refusal = policy.answer_refusal(name, address)
        if refusal:
            raise DNSLookupError(f"{ADDRESS_REFUSED}: {refusal}")
        return address


class AddressGuard:
    """Downloader middleware: refuse non-HTTP schemes, internal IP literals and
    names whose answer the resolver refused, before they are fetched. (Twisted
    reports a refused answer as an ordinary DNSLookupError; the retry of that
    request is refused here, without another lookup.)"""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.enabled = crawler.settings.getbool("NEWSCRAWL_ADDRESS_GUARD", True)
        self.extra_hosts = crawler.settings.getlist("NEWSCRAWL_ALLOW_HOSTS")
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> AddressGuard:
        return cls(crawler)

    def spider_opened(self, spider: Any) -> None:
        seeds = list(getattr(spider, "start_urls", []) or [])
        policy.reset(seeds, self.extra_hosts, self.enabled)

    def _refuse(self, request: Request, why: str) -> IgnoreRequest:
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value("newscrawl/address_refused")
        logger.warning("refused %s: %s", request.url, why)
        return IgnoreRequest(f"{ADDRESS_REFUSED}: {why}")

    def process_request(self, request: Request, spider: Any = None) -> None:
        parts = urlparse_cached(request)
        why = policy.url_refusal(request.url, parts.scheme, parts.hostname or "")
        if why:
            raise self._refuse(request, why)
