"""The address policy: which addresses a crawl may reach (pure logic; the crawls
through redirects, sitemaps and a rebinding name are in tests/test_faults.py)."""

from __future__ import annotations

import pytest

from newscrawl.netguard import AddressPolicy, is_internal


@pytest.mark.parametrize(
    "address",
    ["127.0.0.1", "127.0.0.2", "10.1.2.3", "172.16.0.9", "192.168.1.1", "169.254.169.254",
     "100.64.0.1", "0.0.0.0", "::1", "fe80::1", "fc00::1", "::ffff:127.0.0.2", "224.0.0.1"],
)  # fmt: skip
def test_internal_addresses(address: str) -> None:
    assert is_internal(address)


@pytest.mark.parametrize(
    "address",
    [
        "::127.0.0.2",  # IPv4-compatible (deprecated; ::/8 is reserved)
        "::1:8080",  # ::/8 again: what [::1]:8080 looks like without its brackets
        "64:ff9b::127.0.0.2",  # NAT64: a gateway connects to the IPv4 address inside
        "64:ff9b::a9fe:a9fe",  # 169.254.169.254 (a cloud's metadata) through NAT64
        "2002:7f00:2::1",  # 6to4 of 127.0.0.2
        "2002:a00:5::1",  # 6to4 of 10.0.0.5
        "fec0::1",  # site-local (deprecated, still an intranet's where used)
        "240.0.0.1",  # reserved IPv4
    ],
)
def test_ipv6_forms_that_reach_internal_or_reserved_addresses_are_internal(address: str) -> None:
    """Before: all of these were taken as global, and a link to one was fetched."""
    assert is_internal(address)


@pytest.mark.parametrize("address", ["64:ff9b::8.8.8.8", "2002:808:808::1"])
def test_nat64_and_6to4_of_a_public_address_are_not_internal(address: str) -> None:
    assert not is_internal(address)


@pytest.mark.parametrize(
    "address", ["93.184.215.14", "2606:4700::1111", "::ffff:8.8.8.8", "news.test"]
)
def test_public_addresses_and_names_are_not_internal(address: str) -> None:
    assert not is_internal(address)


def public_crawl() -> AddressPolicy:
    policy = AddressPolicy()
    policy.reset(["https://news.example.com/", "https://93.184.215.14/feed.xml"])
    return policy


def test_a_public_crawl_refuses_internal_literals_and_other_schemes() -> None:
    policy = public_crawl()
    assert policy.url_refusal("http://169.254.169.254/latest/meta-data/")
    assert policy.url_refusal("http://[::ffff:127.0.0.1]:6379/")
    assert policy.url_refusal("file:///etc/passwd")
    assert policy.url_refusal("ftp://news.example.com/")
    assert policy.url_refusal("https://news.example.com/a.html") is None
    assert policy.url_refusal("https://93.184.215.14/a.html") is None


def test_a_public_crawl_refuses_names_answering_internal_addresses() -> None:
    policy = public_crawl()
    assert policy.answer_refusal("localhost", "127.0.0.1")
    assert policy.answer_refusal("intranet.example.com", "10.0.0.5")
    assert policy.answer_refusal("cdn.example.net", "151.101.1.1") is None
    # A refused name is refused at once from then on, without another lookup.
    assert policy.url_refusal("http://intranet.example.com/")


def test_a_local_site_may_reach_exactly_its_seeds_address_and_port() -> None:
    policy = AddressPolicy()
    policy.reset({"local": ["http://127.0.0.1:8765/"], "intranet": ["http://intranet.test/"]})
    assert policy.url_refusal("http://127.0.0.1:8765/a.html", site="local") is None
    # Another port of the same address is another service (Redis, a database).
    assert policy.url_refusal("http://127.0.0.1:6379/", site="local")
    assert policy.url_refusal("http://127.0.0.2/", site="local")
    # The seed name is pinned to its first answer; a later, other answer is rebinding.
    assert policy.answer_refusal("intranet.test", "10.0.0.7") is None
    assert policy.answer_refusal("intranet.test", "10.0.0.7") is None
    # http and https of a seed on a default port are one allowance.
    assert policy.url_refusal("https://intranet.test/login", site="intranet") is None
    assert policy.answer_refusal("intranet.test", "10.0.0.8")
    assert policy.url_refusal("https://intranet.test/login", site="intranet")
    assert policy.answer_refusal("elsewhere.test", "10.0.0.9")


def test_an_internal_seed_belongs_to_its_site_alone() -> None:
    policy = AddressPolicy()
    policy.reset(
        {
            "intranet": ["http://127.0.0.2:8080/", "http://wiki.corp.test/"],
            "outside": ["https://news.example.com/"],
        }
    )
    assert policy.answer_refusal("wiki.corp.test", "10.1.1.1") is None  # pinned
    assert policy.url_refusal("http://127.0.0.2:8080/memo", site="intranet") is None
    assert policy.url_refusal("http://wiki.corp.test/page", site="intranet") is None
    refusal = policy.url_refusal("http://127.0.0.2:8080/memo", site="outside")
    assert refusal is not None and "another site (intranet)" in refusal
    assert policy.url_refusal("http://wiki.corp.test/page", site="outside")
    # A request that names no site gets no internal allowance at all.
    assert policy.url_refusal("http://127.0.0.2:8080/memo")


def test_urls_with_credentials_are_refused() -> None:
    policy = public_crawl()
    refusal = policy.url_refusal("https://user:secret@news.example.com/a.html")
    assert refusal is not None and "secret" not in refusal


def test_internationalised_seed_names_are_one_host() -> None:
    policy = AddressPolicy()
    policy.reset({"books": ["http://bücher.test:8000/"]})
    assert policy.needs_lookup("xn--bcher-kva.test")
    assert policy.answer_refusal("xn--bcher-kva.test", "127.0.0.1") is None
    assert policy.url_refusal("http://xn--bcher-kva.test:8000/a", site="books") is None
    assert policy.url_refusal("http://bücher.test:8000/a", site="books") is None


def test_extra_allowed_hosts_and_switching_the_guard_off() -> None:
    policy = AddressPolicy()
    policy.reset(["https://news.example.com/"], extra_hosts=["10.0.0.5"])
    assert policy.url_refusal("http://10.0.0.5/") is None
    assert policy.url_refusal("http://10.0.0.5:8080/", site="news.example.com") is None
    policy.reset(["https://news.example.com/"], enabled=False)
    assert policy.url_refusal("http://127.0.0.1/") is None
    assert policy.answer_refusal("localhost", "127.0.0.1") is None


def test_sub_domains_of_an_internal_seed_name_are_that_sites_only() -> None:
    policy = AddressPolicy()
    policy.reset(
        {"intranet": ["http://portal.corp.test:8080/"], "outside": ["https://news.example.com/"]}
    )
    # Before the seed name has answered, nothing under it may answer internal.
    assert policy.needs_lookup("wiki.corp.test")
    assert policy.answer_refusal("portal.corp.test", "10.0.0.7") is None
    assert policy.answer_refusal("wiki.corp.test", "10.0.0.8") is None
    assert policy.url_refusal("http://wiki.corp.test:8080/a", site="intranet") is None
    assert policy.url_refusal("http://wiki.corp.test:8080/a", site="outside")
    assert policy.url_refusal("http://wiki.corp.test:6379/", site="intranet")  # another port
    # A public seed's sub-domain answering an internal address is refused.
    assert policy.answer_refusal("news.example.com", "93.184.215.14") is None
    assert policy.answer_refusal("intranet.example.com", "10.0.0.9")
