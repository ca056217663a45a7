"""A page whose compressed body ends before its stream does is a page cut short:
retried, then counted as failed, never stored as if whole (newscrawl/compression.py)."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
import zlib
from typing import ClassVar

import brotli
import pytest

if sys.version_info >= (3, 14):
    from compression import zstd
else:
    from backports import zstd

from newscrawl.compression import stream_ends
from newscrawl.demo.server import QuietHandler
from newscrawl.settings import RETRY_TIMES

from .conftest import BIN, FAST, run, serving

STORY = (
    "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>Ferry timetable"
    "</title><meta property='og:type' content='article'></head><body><article>"
    "<h1>Ferry timetable</h1>"
    + "".join(
        f"<p>Change {n}: the winter ferry to the island leaves the north pier at a new"
        f" hour from Monday, the harbour office said, and {n} crossings are added.</p>"
        for n in range(40)
    )
    + "</article></body></html>"
).encode()

ENCODERS = {
    b"gzip": lambda data: gzip.compress(data),
    b"deflate": zlib.compress,
    b"br": brotli.compress,
    # Scrapy asks for zstd too, and its decompression keeps what came of a cut one.
    b"zstd": zstd.compress,
}


def raw_deflate(data: bytes) -> bytes:
    compressor = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    return compressor.compress(data) + compressor.flush()


@pytest.mark.parametrize("encoding", list(ENCODERS))
def test_a_stream_is_whole_only_to_its_end(encoding: bytes) -> None:
    whole = ENCODERS[encoding](STORY)
    assert stream_ends(whole, encoding)
    assert stream_ends(whole + b"trailing bytes", encoding)  # past the end: not judged
    for cut in (len(whole) // 2, len(whole) - 1):
        assert not stream_ends(whole[:cut], encoding), cut


def partly_decoded(body: bytes, encoding: bytes) -> bytes:
    """What a decompression makes of as much of `body` as there is, as Scrapy's does."""
    if encoding == b"br":
        return brotli.Decompressor().process(body)
    if encoding == b"zstd":
        return zstd.ZstdDecompressor().decompress(body)
    wbits = 16 + zlib.MAX_WBITS if encoding == b"gzip" else zlib.MAX_WBITS
    return zlib.decompressobj(wbits).decompress(body)


@pytest.mark.parametrize("encoding", list(ENCODERS))
def test_a_stream_is_judged_the_same_with_what_came_of_it(encoding: bytes) -> None:
    """With the decoded body at hand, a gzip or zlib stream is judged by its
    trailer's checksum rather than inflated again: the verdicts stay the same,
    for a cut body whose last bytes are taken for a trailer too."""
    whole = ENCODERS[encoding](STORY)
    assert stream_ends(whole, encoding, STORY)
    for cut in range(len(whole) // 2, len(whole)):
        body = whole[:cut]
        assert not stream_ends(body, encoding, partly_decoded(body, encoding)), cut
    members = gzip.compress(STORY[:500]) + gzip.compress(STORY[500:])
    assert stream_ends(members, b"gzip", STORY)
    assert not stream_ends(members[:-3], b"gzip", STORY)


def test_other_forms_of_a_whole_stream() -> None:
    assert stream_ends(raw_deflate(STORY), b"deflate")
    assert not stream_ends(raw_deflate(STORY)[:100], b"deflate")
    members = gzip.compress(STORY[:500]) + gzip.compress(STORY[500:])
    assert stream_ends(members, b"gzip")
    assert not stream_ends(members[:-3], b"gzip")  # the second member cut short
    frames = zstd.compress(STORY[:500]) + zstd.compress(STORY[500:])
    assert stream_ends(frames, b"zstd")
    assert not stream_ends(frames[:-3], b"zstd")  # the second frame cut short
    skippable = b"\x50\x2a\x4d\x18\x03\x00\x00\x00abc"  # a frame to skip, then one cut
    assert not stream_ends(skippable + zstd.compress(STORY)[:-3], b"zstd")
    assert stream_ends(b"not compressed at all", b"gzip")  # left to the decompression
    assert stream_ends(STORY, b"identity")
    # A 304 or a 204 that names its encoding: no stream, nothing cut. (Before: every
    # such answer was retried, then failed.)
    assert all(stream_ends(b"", encoding) for encoding in ENCODERS)


class _CutHandler(QuietHandler):
    """/cut/<encoding>: the story compressed, then cut in half, with a
    Content-Length that matches what is sent; /whole/<encoding>: all of it."""

    hits: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        type(self).hits.append(self.path)
        if self.path == "/robots.txt":
            return self.send_error(404)
        kind, _, encoding = self.path.strip("/").partition("/")
        body = ENCODERS[encoding.encode()](STORY.replace(b"Ferry", encoding.encode()))
        if kind == "cut":
            body = body[: len(body) // 2]
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Encoding", encoding)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        return None


def test_a_page_whose_compressed_body_was_cut_is_retried_and_not_stored() -> None:
    """Before: each cut page was stored as an article of 19 to 27 words (of about
    1,000), cut mid-sentence, and the exit code was 0."""
    _CutHandler.hits.clear()
    with serving(_CutHandler) as base:
        cut = [f"{base}/cut/{name.decode()}" for name in ENCODERS]
        whole = [f"{base}/whole/{name.decode()}" for name in ENCODERS]
        result = run("newscrawl", "scrape", *cut, *whole, *FAST, "-L", "WARNING", timeout=60)
    err = result.stderr.decode()
    stored = {item["url"]: item for item in map(json.loads, result.stdout.decode().splitlines())}
    assert set(stored) == set(whole), err
    assert all(item["word_count"] > 900 for item in stored.values())
    for url in cut:
        assert f"no article from {url}: ResponseDataLossError" in err
        # Retried as a body cut short by its Content-Length is.
        assert _CutHandler.hits.count(url.removeprefix(base)) == 1 + RETRY_TIMES
    assert result.returncode == 1


class _BombHandler(QuietHandler):
    """A home page linking to BOMBS pages, each a small deflate body that would
    inflate to 64 MB, past DOWNLOAD_MAXSIZE (32 MB)."""

    BOMBS = 24
    bomb = b""

    def do_GET(self) -> None:
        if self.path == "/robots.txt":
            return self.send_error(404)
        if self.path == "/":
            links = "".join(
                f"<li><a href='/news/2026/11/bomb-{n}-story-about-the-harbour.html'>Story {n}"
                " about the harbour council vote</a></li>"
                for n in range(self.BOMBS)
            )
            return self.send_page(f"<html><body><ul>{links}</ul></body></html>".encode())
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Encoding", "deflate")
        self.send_header("Content-Length", str(len(self.bomb)))
        self.end_headers()
        self.wfile.write(self.bomb)
        return None


# Run in a process of its own, whose children are the crawl's alone: the largest
# resident size a process of the crawl reached, in KiB.
_PEAK_RSS = (
    "import resource, subprocess, sys\n"
    "done = subprocess.run(sys.argv[1:], capture_output=True)\n"
    "sys.stderr.buffer.write(done.stderr)\n"
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
    "sys.exit(done.returncode)\n"
)


def test_compression_bombs_do_not_pile_up_in_the_crawlers_memory(tmp_path) -> None:
    """Each bomb is refused at 32 MB (too_large), but the failure's traceback held
    the frames of Scrapy's decompression, and in them the 32 MB it had inflated,
    as long as the failure lived: 40 such pages took the crawler's process to
    1.4 GB, 100 past MEMUSAGE_LIMIT_MB, which stopped the whole crawl (exit 4)."""
    _BombHandler.bomb = zlib.compress(b"<p>" + b"a" * (64 * 2**20), 9)
    with serving(_BombHandler) as base:
        result = subprocess.run(
            [sys.executable, "-c", _PEAK_RSS, str(BIN / "newscrawl"), "crawl", f"{base}/",
             "--db", str(tmp_path / "b.sqlite"), *FAST, "-L", "WARNING"],
            capture_output=True, timeout=300, check=False,
        )  # fmt: skip
    err = result.stderr.decode()
    assert result.returncode == 1, err
    assert f"pages not fetched: {_BombHandler.BOMBS} (too_large {_BombHandler.BOMBS})" in err
    peak_mib = int(result.stdout.decode().split()[-1]) / 1024
    # Each page's 32 MB, kept, would be 768 MB; the crawl itself takes about 120.
    assert peak_mib < 400, f"peak {peak_mib:.0f} MiB"
