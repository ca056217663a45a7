"""A compressed body whose stream ends early is a page cut short, not a page.

Scrapy's HttpCompressionMiddleware decompresses "as much data as possible" of a
gzip, deflate, brotli or zstd body that ends before its stream does (a server or a
proxy that cut it, a Content-Length written for the cut body). newscrawl stored
what came of such a page as the whole article: 19 to 27 words, cut mid-sentence,
of a story of 44 paragraphs, with exit code 0; and an article once stored is not
fetched again. A body cut short by its Content-Length was already refused
(ResponseDataLossError, retried once): one cut inside its compressed stream is
now the same. Everything else (the encodings, the size cap, the response class)
is Scrapy's middleware, which this one replaces in its place.
"""

from __future__ import annotations

import logging
import struct
import sys
import zlib
from typing import TYPE_CHECKING, Any

import brotli

if sys.version_info >= (3, 14):
    from compression import zstd
else:  # Scrapy's own dependency before Python 3.14 (its zstd decoding uses it)
    from backports import zstd
from scrapy.downloadermiddlewares.httpcompression import HttpCompressionMiddleware
from scrapy.exceptions import NotConfigured

from newscrawl.partial import cut_short

if TYPE_CHECKING:
    from typing import Self

    from scrapy.crawler import Crawler
    from scrapy.http import Request, Response

__all__ = ["WholeStreamCompression", "stream_ends"]

logger = logging.getLogger(__name__)

_CHUNK = 1024 * 1024  # output is decompressed and dropped a chunk at a time
_GZIP_MAGIC = b"\x1f\x8b"
_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"


class _CutShort(Exception):
    """A compressed body ended before its stream did."""


def stream_ends(body: bytes, encoding: bytes, decoded: bytes | None = None) -> bool:
    """Whether `body`, compressed with `encoding` (a Content-Encoding token), holds
    its stream's end: False when the data ran out first. Bytes after the end are
    not judged (Scrapy's decompression ignores them too); nor is an encoding
    other than gzip, deflate, br and zstd (all four asked for in Scrapy's
    Accept-Encoding), nor a body whose decompression fails (the
    decompression that follows says so). Output is dropped as it comes: memory
    stays one chunk, whatever the body inflates to. An empty body (a 304, a 204
    that names its encoding) is no stream: nothing of it was cut.

    `decoded`, what Scrapy made of `body`, spares the second decompression where
    the stream's own trailer vouches for it (see _trailer_matches)."""
    if not body:
        return True
    if decoded is not None and _trailer_matches(body, encoding, decoded):
        return True
    try:
        if encoding in (b"gzip", b"x-gzip"):
            return _gzip_ends(body)
        if encoding == b"deflate":
            return _deflate_ends(body)
        if encoding == b"br":
            return _brotli_ends(body)
        if encoding == b"zstd":
            return _zstd_ends(body)
    except (zlib.error, brotli.error, zstd.ZstdError):
        return True
    return True


def _trailer_matches(body: bytes, encoding: bytes, decoded: bytes) -> bool:
    """Whether `body` ends with the checksum of `decoded`, as a whole stream does:
    a gzip member's CRC-32 and length, a zlib stream's Adler-32. A checksum costs
    a fourteenth of inflating the body again (0.5 against 6.9 ms for a page of
    1.3 MB, 166 KB gzipped, on the crawler's event loop), and almost every compressed page is one gzip member or one zlib stream. A cut
    body ends in bytes of its compressed data, which match the checksum of what
    came of it by chance once in 2**32 or more; a raw deflate or brotli body has
    no such trailer, nor a gzip body of several members: those are inflated
    again (False here)."""
    if encoding in (b"gzip", b"x-gzip"):
        if len(body) < 18 or not body.startswith(_GZIP_MAGIC):
            return False
        crc, size = struct.unpack("<II", body[-8:])
        return bool(size == len(decoded) & 0xFFFFFFFF and crc == zlib.crc32(decoded))
    if encoding == b"deflate":
        if len(body) < 6:
            return False
        (adler,) = struct.unpack(">I", body[-4:])
        return bool(adler == zlib.adler32(decoded))
    return False


def _zlib_ends(decompressor: Any, data: bytes) -> bool:
    """Feed `data` to a zlib decompressor, dropping the output: whether its
    stream ended."""
    decompressor.decompress(data, _CHUNK)
    while decompressor.unconsumed_tail and not decompressor.eof:
        decompressor.decompress(decompressor.unconsumed_tail, _CHUNK)
    return bool(decompressor.eof)


def _gzip_ends(body: bytes) -> bool:
    # Member after member, as gunzip reads `cat a.gz b.gz`.
    rest = body
    while True:
        decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)
        if not _zlib_ends(decompressor, rest):
            return False
        rest = decompressor.unused_data
        if not rest.startswith(_GZIP_MAGIC):
            return True


def _deflate_ends(body: bytes) -> bool:
    try:
        return _zlib_ends(zlib.decompressobj(), body)
    except zlib.error:  # raw deflate, as some servers send it (Scrapy reads it too)
        return _zlib_ends(zlib.decompressobj(-zlib.MAX_WBITS), body)


def _brotli_ends(body: bytes) -> bool:
    decompressor = brotli.Decompressor()
    decompressor.process(body, output_buffer_limit=_CHUNK)
    while not decompressor.is_finished():
        if not decompressor.process(b"", output_buffer_limit=_CHUNK):
            return False
    return True


def _is_zstd_frame(data: bytes) -> bool:
    # A Zstandard frame, or a skippable one (magic 0x184D2A50 to 0x184D2A5F, which
    # Scrapy's ZstdFile skips too).
    return data.startswith(_ZSTD_MAGIC) or (
        len(data) >= 4 and 0x50 <= data[0] <= 0x5F and data[1:4] == b"\x2a\x4d\x18"
    )


def _zstd_ends(body: bytes) -> bool:
    # Frame after frame, as Scrapy's ZstdFile reads them.
    rest = body
    while True:
        decompressor = zstd.ZstdDecompressor()
        decompressor.decompress(rest, _CHUNK)
        while not decompressor.eof:
            if decompressor.needs_input:
                return False
            decompressor.decompress(b"", _CHUNK)
        rest = decompressor.unused_data
        if not _is_zstd_frame(rest):
            return True


class WholeStreamCompression(HttpCompressionMiddleware):
    """Scrapy's HttpCompressionMiddleware, refusing a body whose compressed stream
    was cut short: retried as Scrapy's RetryMiddleware retries a body cut short
    by its Content-Length, then a failure of the same name."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler=crawler)
        self.crawler = crawler
        # Whether the response being decoded came whole (see process_response).
        self.judging = True

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        if not crawler.settings.getbool("COMPRESSION_ENABLED"):
            raise NotConfigured
        return cls(crawler)

    def _decode(self, body: bytes, encoding: bytes, max_size: int) -> bytes:  # type: ignore[override]
        # Scrapy's first: past max_size it raises, and a bomb is never read twice.
        try:
            decoded = HttpCompressionMiddleware._decode(body, encoding, max_size)
        except ValueError as exc:  # past max_size (Scrapy's own, a ValueError)
            # Its traceback holds the decompression's frames, and in them what it
            # had inflated when it stopped: up to DOWNLOAD_MAXSIZE (32 MB) a page,
            # kept as long as the failure is. Forty bomb pages took the crawler's
            # process to 1.4 GB of memory, a hundred past MEMUSAGE_LIMIT_MB.
            raise exc.with_traceback(None) from None
        if self.judging and not stream_ends(body, encoding, decoded):
            raise _CutShort(encoding.decode("latin-1"))
        return decoded

    def process_response(
        self, request: Request, response: Response, spider: Any = None
    ) -> Request | Response:
        # A download stopped on purpose (a robots.txt past its 500 KiB) was cut by
        # newscrawl, and is read as cut. (One response at a time: no await here.)
        self.judging = "download_stopped" not in response.flags
        try:
            return super().process_response(request, response)
        except _CutShort as cut:
            reason = f"the {cut} stream of the body ended early"
        finally:
            self.judging = True
        return cut_short(self.crawler, request, response.url, reason)
