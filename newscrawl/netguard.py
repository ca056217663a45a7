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

A site whose seed (start URL, sitemap or feed) is itself such an address (the
demo, a test site, an intranet) may reach exactly its seeds' host and port: an IP
literal as given, a name as it resolved the first time (and the sub-domains of
such a name, on its port: they are the site's, see newscrawl/hosts.py). The allowance belongs to
that site alone: another site's link or redirect to the same address and port is
refused, as is any other port of that address. NEWSCRAWL_ALLOW_HOSTS adds host
names or addresses every site may reach (any port); NEWSCRAWL_ADDRESS_GUARD =
False turns it all off.
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import re
import socket
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import urljoin, urlsplit

from scrapy import signals
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request, Response
from scrapy.resolver import CachingThreadedResolver, HostResolution
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet._resolver import SimpleResolverComplexifier
from twisted.internet.abstract import isIPv6Address
from twisted.internet.address import IPv6Address
from twisted.internet.error import DNSLookupError
from twisted.internet.interfaces import IHostnameResolver, IResolverSimple
from w3lib.url import safe_url_string
from zope.interface import implementer  # type: ignore[import-untyped]

from newscrawl.config import NewscrawlConfig
from newscrawl.hosts import host_key, registrable_domain, site_key, url_port
from newscrawl.urllength import too_long
from newscrawl.urls import InvalidURLError, has_credentials, parse_url, without_password
from newscrawl.vocabulary import ADDRESS_REFUSED_STAT

if TYPE_CHECKING:
    from collections.abc import Sequence

    from scrapy.crawler import Crawler
    from twisted.internet.defer import Deferred
    from twisted.internet.interfaces import IAddress

__all__ = [
    "ADDRESS_REFUSED",
    "REDIRECT_REFUSED",
    "AddressGuard",
    "AddressPolicy",
    "GuardedResolver",
    "RedirectGuard",
    "is_internal",
    "policy",
    "redirect_refusal",
]

logger = logging.getLogger(__name__)

ADDRESS_REFUSED = "address refused"
# What a redirect to no http(s) URL raises (javascript:, mailto:, data:, file:,
# "http://[::1", a port past 65535): Scrapy's RedirectMiddleware raised a bare
# ValueError for some, and left others as their 3xx answer.
REDIRECT_REFUSED = "redirect refused"
ALLOWED_SCHEMES = frozenset({"http", "https"})


# The legacy spellings of an IPv4 address that the C library still accepts and
# connects to: 2130706434, 0x7f000002, 0177.0.0.2, 127.2 (all 127.0.0.2).
_LEGACY_IPV4 = re.compile(r"(?:0x[0-9a-f]+|[0-9]+)(?:\.(?:0x[0-9a-f]+|[0-9]+)){0,3}", re.IGNORECASE)


def _ip(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """`host` as an IP address, in any spelling a connection would accept; None
    for a name."""
    host = host.strip("[]")
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    if _LEGACY_IPV4.fullmatch(host):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None


# NAT64's well-known prefix (RFC 6052): on an IPv6-only network a gateway connects
# 64:ff9b::a.b.c.d to a.b.c.d, private and link-local addresses included.
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


def _carried_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address leads to: IPv4-mapped, NAT64, 6to4."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return ip.sixtofour


def is_internal(address: str) -> bool:
    """True for an IP address that is not globally routable (an IPv6 address that
    carries an IPv4 one, IPv4-mapped, NAT64 or 6to4, is judged by it). Reserved
    and site-local ranges count as internal: Python's is_global takes ::/8 (the
    deprecated IPv4-compatible ::a.b.c.d) and fec0::/10 for global. Not an IP:
    False."""
    ip = _ip(address)
    if ip is None:
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.is_site_local:
            return True
        ip = _carried_ipv4(ip) or ip
    return not ip.is_global or ip.is_multicast or ip.is_reserved


# A seed on a scheme's default port may be reached on either (http -> https).
_DEFAULT_PORTS = frozenset({80, 443})


def _ports(port: int | None) -> frozenset[int | None]:
    return _DEFAULT_PORTS if port in _DEFAULT_PORTS or port is None else frozenset({port})


class AddressPolicy:
    """Which internal addresses each site of this crawl may reach.

    One per process: Scrapy's resolver is process-wide, and a newscrawl process
    runs one crawl."""

    def __init__(self) -> None:
        self.enabled = True
        # site -> the (host, port) pairs of its seeds: names and IP literals.
        self.by_site: dict[str, set[tuple[str, int | None]]] = {}
        self.seed_names: set[str] = set()  # names that may answer an internal address
        # The registrable domains of the seed names: their sub-domains are the
        # site's too, and may answer internal addresses when the seed name does.
        self.seed_domains: dict[str, set[str]] = {}  # registrable domain -> seed names
        self.crawl_wide: set[str] = set()  # NEWSCRAWL_ALLOW_HOSTS: names and addresses
        self.first_answer: dict[str, str] = {}  # seed name -> its first DNS answer
        self.refused_names: dict[str, str] = {}  # host name -> why its answer was refused

    def reset(
        self,
        seeds: Mapping[str, Iterable[str]] | Iterable[str],
        extra_hosts: Iterable[str] = (),
        enabled: bool = True,
    ) -> None:
        """`seeds`: each site's seed URLs, by site name (a plain list: one site per
        URL, named by its site key)."""
        self.enabled = enabled
        self.by_site.clear()
        self.seed_names.clear()
        self.seed_domains.clear()
        self.first_answer.clear()
        self.refused_names.clear()
        if not isinstance(seeds, Mapping):
            seeds = {site_key(url): [url] for url in seeds}
        for site, urls in seeds.items():
            allowed = self.by_site.setdefault(site, set())
            for url in urls:
                host = host_key(urlsplit(url).hostname or "")
                if not host:
                    continue
                ip = _ip(host)
                if ip is None:
                    self.seed_names.add(host)
                    self.seed_domains.setdefault(registrable_domain(host), set()).add(host)
                else:
                    host = str(ip)
                allowed.update((host, port) for port in _ports(url_port(url)))
        self.crawl_wide = {host_key(h) for h in extra_hosts if h.strip()}
        self.crawl_wide = {str(_ip(h) or h) for h in self.crawl_wide}

    def _site_may_reach(self, site: str | None, host: str, port: int | None) -> bool:
        if host in self.crawl_wide:
            return True
        allowed = self.by_site.get(site or "", ())
        if (host, port) in allowed:
            return True
        # A sub-domain of one of the site's internal seed names, on that seed's port.
        return any(
            (seed, port) in allowed and self._answers_internal(seed)
            for seed in self.seed_domains.get(registrable_domain(host), ())
        )

    def _answers_internal(self, name: str) -> bool:
        answer = self.first_answer.get(name)
        return answer is not None and is_internal(answer)

    def _under_internal_seed(self, name: str) -> bool:
        """Whether `name` is a sub-domain of a seed name that answered internal."""
        seeds = self.seed_domains.get(registrable_domain(name), ())
        return any(self._answers_internal(seed) for seed in seeds)

    def url_refusal(
        self, url: str, scheme: str | None = None, host: str | None = None, site: str | None = None
    ) -> str | None:
        """Why a request of `site` to `url` may not go out (scheme, credentials, an
        internal IP literal or a name known to answer one), or None. Without a
        site, only NEWSCRAWL_ALLOW_HOSTS reach internal addresses."""
        if not self.enabled:
            return None
        parts = urlsplit(url)
        if scheme is None or host is None:
            scheme, host = parts.scheme, parts.hostname or ""
        if scheme not in ALLOWED_SCHEMES:
            return f"scheme {scheme}: not http or https"
        if has_credentials(url):
            return "a URL with credentials"
        host = host_key(host)
        port = url_port(url)
        ip = _ip(host)
        if ip is not None:
            if is_internal(str(ip)) and not self._site_may_reach(site, str(ip), port):
                return f"{host} is an internal address{self._whose(str(ip), port)}"
            return None
        if host in self.refused_names:
            return self.refused_names[host]
        answer = self.first_answer.get(host)
        if (
            answer is not None
            and is_internal(answer)
            and not self._site_may_reach(site, host, port)
        ):
            return f"{host} answers the internal address {answer}{self._whose(host, port)}"
        return None

    def _whose(self, host: str, port: int | None) -> str:
        owners = sorted(s for s, allowed in self.by_site.items() if (host, port) in allowed)
        return f" of another site ({', '.join(owners)})" if owners else ""

    def needs_lookup(self, host: str) -> bool:
        """True for a seed name, or a name under a seed's registrable domain, whose
        address is not known yet: whether a request to it may go out, and for
        which site, depends on that address."""
        host = host_key(host)
        if not self.enabled or host in self.first_answer or _ip(host) is not None:
            return False
        return host in self.seed_names or registrable_domain(host) in self.seed_domains

    def answer_refusal(self, name: str, address: str) -> str | None:
        """Why the DNS answer `address` for `name` may not be used, or None. A seed
        name (or a sub-domain of a seed name that answered an internal address)
        keeps its first answer: a later, different internal answer (rebinding) is
        refused; any other name may not answer an internal address at all. (Which
        site may use an internal name is `url_refusal`'s question.)"""
        name = host_key(name)
        if not self.enabled or _ip(name) is not None:
            return None  # an IP literal: url_refusal judged it, for the request's site
        if name in self.seed_names or (
            registrable_domain(name) in self.seed_domains and self._under_internal_seed(name)
        ):
            first = self.first_answer.setdefault(name, address)
            if first == address or not is_internal(address):
                return None
            why = f"{name} answered {first}, then the internal address {address}"
        elif not is_internal(address) or address in self.crawl_wide or name in self.crawl_wide:
            return None
        else:
            why = f"{name} resolves to the internal address {address}"
        self.refused_names[name] = why
        return why


policy = AddressPolicy()


class GuardedResolver(CachingThreadedResolver):
    """Scrapy's caching resolver, refusing answers the address policy forbids.

    Set as TWISTED_DNS_RESOLVER. Every connection Scrapy makes looks its host up
    here (IPv4 literals included), so what is refused is never dialled."""

    def install_on_reactor(self) -> None:
        # Scrapy's threaded resolver answers with gethostbyname, IPv4 only: a site
        # on an IPv6 literal ("http://[::1]:8080/") failed as "DNS lookup failed:
        # no results for hostname lookup: ::1" and was reported unreachable.
        # Connections ask the reactor's name resolver; this one passes an IPv6
        # literal through as its own address (the guard judged the literal on the
        # request's URL) and asks this resolver for every other host.
        super().install_on_reactor()
        self.reactor.installNameResolver(cast("IHostnameResolver", _IPv6LiteralsFirst(self)))

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


@implementer(IHostnameResolver)
class _IPv6LiteralsFirst:
    """A name resolver that answers an IPv6 literal with itself, and asks the
    simple resolver it wraps about any other host (which answers IPv4)."""

    def __init__(self, resolver: GuardedResolver) -> None:
        self.names = SimpleResolverComplexifier(cast("IResolverSimple", resolver))

    # (Twisted's interfaces, zope's, are not types mypy can check calls against.)
    def resolveHostName(
        self,
        resolutionReceiver: Any,
        hostName: str,
        portNumber: int = 0,
        addressTypes: Sequence[type[IAddress]] | None = None,
        transportSemantics: str = "TCP",
    ) -> Any:
        if not isIPv6Address(hostName):
            return self.names.resolveHostName(
                resolutionReceiver, hostName, portNumber, addressTypes, transportSemantics
            )
        resolution = HostResolution(hostName)
        resolutionReceiver.resolutionBegan(resolution)
        if addressTypes is None or IPv6Address in addressTypes:
            resolutionReceiver.addressResolved(IPv6Address("TCP", hostName, portNumber))
        resolutionReceiver.resolutionComplete()
        return resolution


class AddressGuard:
    """Downloader middleware: refuse non-HTTP schemes, URLs with credentials,
    internal addresses the request's site may not reach, and names whose answer
    the resolver refused, before they are fetched. (Twisted reports a refused
    answer as an ordinary DNSLookupError; the retry of that request is refused
    here, without another lookup.)"""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        config = NewscrawlConfig.of(crawler)
        self.enabled = config.address_guard
        self.extra_hosts = config.allow_hosts
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> AddressGuard:
        return cls(crawler)

    def spider_opened(self, spider: Any) -> None:
        seeds = getattr(spider, "seeds_by_site", None)
        if seeds is None:
            seeds = list(getattr(spider, "start_urls", []) or [])
        policy.reset(seeds, self.extra_hosts, self.enabled)

    def _refuse(self, request: Request, why: str) -> IgnoreRequest:
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(ADDRESS_REFUSED_STAT)
        logger.warning("refused %s: %s", without_password(request.url), why)
        return IgnoreRequest(f"{ADDRESS_REFUSED}: {why}")

    async def process_request(self, request: Request, spider: Any = None) -> None:
        parts = urlparse_cached(request)
        site = request.meta.get("site")
        host = parts.hostname or ""
        if policy.needs_lookup(host):
            # A seed name: whether this site may use it depends on its address.
            from twisted.internet import reactor

            with contextlib.suppress(Exception):  # the download reports DNS errors
                await maybe_deferred_to_future(reactor.resolve(host))  # type: ignore[arg-type]
        why = policy.url_refusal(request.url, parts.scheme, host, site)
        if why:
            raise self._refuse(request, why)


class RedirectGuard:
    """Downloader middleware, after Scrapy's RedirectMiddleware in the answer's path
    (it sees a 3xx first): a redirect to a URL with credentials is refused before
    it is followed, and before Scrapy logs its target, password and all; so is
    one to anything but an http(s) URL, with a reason that says so."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RedirectGuard:
        return cls(crawler)

    def process_response(
        self, request: Request, response: Response, spider: Any = None
    ) -> Response:
        if 300 <= response.status < 400 and (location := response.headers.get(b"Location")):
            try:
                # As Scrapy's RedirectMiddleware reads it: spaces and UTF-8 bytes
                # escaped ("/a b", "/à-la-une" are followed, not refused).
                target = urljoin(request.url, safe_url_string(location))
            except ValueError:  # "http://[::1": urllib cannot split it
                target = location.decode("latin-1").strip()
            refusal = redirect_refusal(self.crawler, request, target)
            if refusal is not None:
                raise refusal
        return response


def redirect_refusal(crawler: Crawler, request: Request, target: str) -> IgnoreRequest | None:
    """Why `request` may not be redirected to `target` (by a Location header or a
    meta refresh), as the exception that drops it, counted and logged: a URL with
    credentials (before Scrapy logs it, password and all), or anything but an
    http(s) URL (Scrapy raised a bare ValueError for some, javascript:, a port
    past 65535, "http://[::1"), or one longer than URLLENGTH_LIMIT. None: it
    may be followed."""
    if has_credentials(target):
        why = f"a redirect to a URL with credentials: {without_password(target)}"
        assert crawler.stats is not None
        crawler.stats.inc_value(ADDRESS_REFUSED_STAT)
        logger.warning("refused %s: %s", without_password(request.url), why)
        return IgnoreRequest(f"{ADDRESS_REFUSED}: {why}")
    try:
        parse_url(target)
    except InvalidURLError as exc:
        logger.info("refused the redirect of %s: %s", without_password(request.url), exc)
        return IgnoreRequest(f"{REDIRECT_REFUSED}: {exc}")
    # A link past URLLENGTH_LIMIT is never requested, nor a canonical URL past it
    # kept as a key (newscrawl/article.py): a page redirected there was fetched,
    # and stored under its own address, as long as the Location said (three pages
    # redirected to 15,000 characters of their own site made a 259 MB store, the
    # key repeated in every site_paragraphs row).
    limit = crawler.settings.getint("URLLENGTH_LIMIT")
    if too_long(target, limit):
        why = f"a redirect to a URL longer than URLLENGTH_LIMIT ({limit} characters)"
        logger.info("refused the redirect of %s: %s", without_password(request.url), why)
        return IgnoreRequest(f"{REDIRECT_REFUSED}: {why}")
    return None
