"""The fault suite's DNS: never the system's resolver, never beyond loopback.

Set as TWISTED_DNS_RESOLVER in the crawler under test (with the repository on
PYTHONPATH). It replaces only the lookup; newscrawl's address guard still
judges every answer.

- `rebind.test` answers 127.0.0.1 the first time, 127.0.0.2 afterwards;
- any other `*.test` name and `localhost` answer 127.0.0.1;
- everything else (`*.invalid` included) does not exist.
"""

from __future__ import annotations

from collections.abc import Sequence

from twisted.internet import defer
from twisted.internet.error import DNSLookupError

from newscrawl.netguard import GuardedResolver


class StubResolver(GuardedResolver):
    asked: dict[str, int] = {}  # noqa: RUF012 - per process: one crawl

    def lookup(self, name: str, timeout: Sequence[int] = ()) -> defer.Deferred[str]:
        name = name.lower()
        count = self.asked[name] = self.asked.get(name, 0) + 1
        if name == "rebind.test":
            return defer.succeed("127.0.0.1" if count == 1 else "127.0.0.2")
        if name.endswith(".test") or name == "localhost":
            return defer.succeed("127.0.0.1")
        if name.replace(".", "").isdigit():  # an IPv4 literal is its own answer
            return defer.succeed(name)
        return defer.fail(DNSLookupError(f"{name}: no such name (stub resolver)"))
