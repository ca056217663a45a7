"""Which robots.txt group is newscrawl's: its product token, in any case, with
or without a version, however the line is spelled or broken; never a group for a
word of its User-Agent header (newscrawl/robots.py). Judged by Scrapy's parser
(Protego), as a crawl judges them."""

from __future__ import annotations

import pytest
from protego import Protego

from newscrawl.robots import only_own_groups, robots_names
from newscrawl.settings import USER_AGENT

ALL_BUT = "User-agent: *\nDisallow: /\n\n"  # everyone is kept out, but the group after
NONE_BUT = "User-agent: *\nAllow: /\n\n"  # everyone is let in, but the group after


def allowed(robots_txt: str, user_agent: str = USER_AGENT, explicit: str | None = None) -> bool:
    names = robots_names(explicit, user_agent)
    parser = Protego.parse(only_own_groups(robots_txt, names))
    return bool(parser.can_fetch("http://courier.test/news/1.html", names[0]))


@pytest.mark.parametrize(
    "group",
    [
        "User-agent: newscrawl",
        "User-agent: NewsCrawl",
        "User-agent: newscrawl/0.1.0",  # as the header writes it: was not ours
        "User-agent: newscrawl/",
        "User-agent: newscrawl*",
        "User-agent: newscrawl # the news text crawler",
        "Useragent: newscrawl",
        "User agent: newscrawl",
        "User-agent newscrawl",
        "User-agent: googlebot\nUser-agent: newscrawl",  # one group, two names
    ],
)
def test_a_group_that_names_newscrawl_is_obeyed(group: str) -> None:
    assert not allowed(f"{NONE_BUT}{group}\nDisallow: /\n")
    assert allowed(f"{ALL_BUT}{group}\nAllow: /\n")


@pytest.mark.parametrize(
    "robots_txt",
    [
        f"{ALL_BUT}User-agent: crawler\nAllow: /\n",  # a word of the header's comment
        f"{ALL_BUT}User-agent: Scrapy\nAllow: /\n",
        f"{ALL_BUT}User-agent: news\nAllow: /\n",  # a prefix of "newscrawl"
        f"{ALL_BUT}Useragent: news\nAllow: /\n",
        f"{ALL_BUT}User-agent news\nAllow: /\n",
        f"{ALL_BUT}User agent: news\nAllow: /\n",
        "User-agent: *\rDisallow: /\r\rUser-agent: news\rAllow: /\r",  # CR alone
        "User-agent: *\x85Disallow: /\x85\x85User-agent: news\x85Allow: /",
        "User-agent: *\u2028Disallow: /\u2028\u2028User-agent: news\u2028Allow: /",
        "\ufeffUser-agent: newscrawl\nDisallow: /\n",  # a byte-order mark
        "User-agent: newscrawl\nDisallow: /x\n\nUser-agent: newscrawl/2\nDisallow: /\n",
    ],
)
def test_no_other_group_lets_newscrawl_in(robots_txt: str) -> None:
    assert not allowed(robots_txt)


def test_the_names_are_the_headers_products_not_its_words() -> None:
    assert robots_names(None, USER_AGENT) == ["newscrawl"]
    browser_style = "Mozilla/5.0 (compatible; MyNewsBot/1.0; +https://example.org/2024/bot)"
    assert robots_names(None, browser_style) == ["mozilla", "mynewsbot"]
    assert not allowed(f"{NONE_BUT}User-agent: MyNewsBot\nDisallow: /\n", browser_style)
    assert robots_names("MyBot/2", USER_AGENT) == ["mybot"]  # ROBOTSTXT_USER_AGENT
    assert not allowed(f"{NONE_BUT}User-agent: mybot\nDisallow: /\n", explicit="MyBot")
