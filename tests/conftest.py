"""Shared fixtures: a local test site on 127.0.0.1, and the installed commands.

Crawls run as real subprocesses (`newscrawl`, `scrapy crawl`) against a real
HTTP server; nothing here reaches beyond the loopback interface.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from .gatedsite import Gate
from .loopback import serve, stop

TESTS = Path(__file__).parent
REPO = TESTS.parent
SITE = TESTS / "site"
SEED = REPO.parent / "shared" / "fixtures" / "seed"
BIN = Path(sys.executable).parent

# Settings that make a crawl of the local site quick; politeness is for real sites.
FAST = ["-s", "DOWNLOAD_DELAY=0.01", "-s", "AUTOTHROTTLE_START_DELAY=0.01"]


# Modules of long crawls paced by politeness delays (a healthy site crawled alone,
# then beside hostile ones: 2-3 minutes of mostly waiting), run first. pytest-xdist
# gives each process a run of tests in collection order (`make test` uses
# --dist worksteal: an idle process takes the second half of a busy one's queue),
# so at the end of the alphabet these kept two of the four processes busy for the
# suite's last minute while the others had nothing left; first, they wait while
# the others' tests run and what waits behind them is taken by the idle ones.
RUN_FIRST = ("test_trust.py",)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """RUN_FIRST's tests first, otherwise the order pytest collected (a stable
    sort: each module's tests stay together and share their module fixtures)."""
    items.sort(key=lambda item: item.path.name not in RUN_FIRST)


@pytest.fixture(scope="session", autouse=True)
def _own_cache_folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """newscrawl's cache (the language model's unpacked copy, newscrawl/language.py)
    in the session's temporary folder, for this process and the crawls it starts:
    the tests leave the user's ~/.cache alone."""
    before = os.environ.get("XDG_CACHE_HOME")
    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("xdg-cache"))
    yield
    if before is None:
        del os.environ["XDG_CACHE_HOME"]
    else:
        os.environ["XDG_CACHE_HOME"] = before


# Every path the test site served, in order, for tests that check what was fetched.
SITE_HITS: list[str] = []


class _RecordingHandler(SimpleHTTPRequestHandler):
    def do_GET(self) -> None:
        SITE_HITS.append(self.path)
        super().do_GET()

    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def serving(handler: Any, server_class: type[ThreadingHTTPServer] = ThreadingHTTPServer,
            host: str = "127.0.0.1") -> Iterator[str]:  # fmt: skip
    """`handler` served on `host` (a loopback address; an IPv6 one needs a
    `server_class` of that family) and a free port, from a thread, until the
    block ends: its base URL, without the last slash."""
    server = server_class((host, 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        netloc = f"[{host}]" if ":" in host else host
        yield f"http://{netloc}:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="session")
def site_url() -> Iterator[str]:
    """The tests/site folder served on 127.0.0.1 and a free port."""
    with serving(partial(_RecordingHandler, directory=str(SITE))) as base:
        yield f"{base}/"


def run(
    command: str, *args: str, cwd: Path = REPO, stdin: bytes | None = None, timeout: float = 120
):
    """Run an installed command of this environment (newscrawl, scrapy) to completion."""
    return subprocess.run(
        [str(BIN / command), *args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        timeout=timeout,
        check=False,
    )


@pytest.fixture()
def seed_dir() -> Path:
    """The shared seed fixture; its absence skips locally and fails in CI."""
    if not SEED.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"{SEED} is missing, and CI must run the seed tests")
        pytest.skip(f"{SEED} is not present (it lives beside the repository)")
    return SEED


class FolderSite:
    """A folder served on 127.0.0.1 and a free port, recording the paths requested.

    Files may change between requests (tests add and edit pages between runs).
    With `status`, every request is answered with that status instead; without
    `validators`, no Last-Modified header (and so no 304) is sent; `delays`
    (path -> seconds) holds the answers to some paths back; a `gate` set on the
    site (tests/gatedsite.py) holds back answers until the test opens it.
    """

    def __init__(
        self,
        root: Path,
        status: int | None = None,
        delays: dict[str, float] | None = None,
        validators: bool = True,
    ) -> None:
        self.root = root
        self.hits: list[str] = []
        self.gate: Gate | None = None
        hits = self.hits
        site = self

        class Handler(SimpleHTTPRequestHandler):
            def do_GET(self) -> None:
                hits.append(self.path)
                time.sleep((delays or {}).get(self.path, 0))
                if site.gate is not None:
                    site.gate.wait(self.path)
                if status is not None:
                    self.send_error(status)
                    return
                super().do_GET()

            def send_header(self, keyword: str, value: str) -> None:
                # Without validators, a stored page cannot be asked for conditionally.
                if validators or keyword.lower() != "last-modified":
                    super().send_header(keyword, value)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server, self.url = serve(partial(Handler, directory=str(root)))

    def close(self) -> None:
        if self.gate is not None:
            self.gate.open()
        stop(self.server)
