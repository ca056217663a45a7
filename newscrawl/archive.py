"""The raw pages a crawl fetched, kept as WARC: written during the crawl, read back
by `newscrawl reextract`.

`WarcArchive` is a downloader middleware placed next to the downloader (after
decompression and redirects in Scrapy's order, so before them on the way back):
it sees every response as the site sent it, redirects, 304s, robots.txt,
sitemaps and feeds included, with the request as it went out. It writes each
pair as a standard WARC response record and request record (WARC 1.0, gzipped
record by record, with warcio), into one file per run in the archive folder
(`--archive DIR`, NEWSCRAWL_ARCHIVE_DIR, or a site's own `archive` in the sites
file), a new file begun past NEWSCRAWL_ARCHIVE_MAX_MB. Where a page's response
record starts (`file:offset`) goes into the request's meta; the spider copies it
into the page's hints and the store into the article's `archive_record`.

A write that fails (a full disk) stops the crawl as a store failure does: finish
reason storage_error, exit code 1, committed articles kept; the half-written
record is cut off, so the file stays readable to its end.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import socket
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from http import HTTPStatus
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from scrapy import signals
from scrapy.exceptions import CloseSpider, NotConfigured
from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from newscrawl import __version__
from newscrawl.config import NewscrawlConfig
from newscrawl.runlog import stop_on_write_error
from newscrawl.vocabulary import ARCHIVE_ERROR, ARCHIVE_UNAVAILABLE, ARCHIVED

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.http import Request, Response

__all__ = [
    "ARCHIVE_META",
    "ArchiveError",
    "ArchivedPage",
    "WarcArchive",
    "archived_page",
    "check_archive_dir",
    "scan_archive",
]

logger = logging.getLogger(__name__)

# The request meta key (and page hint) holding where the response was archived.
ARCHIVE_META = "archive_record"
WARC_SUFFIX = ".warc.gz"
# Headers that describe the connection, not the body as recorded: the body is
# written de-chunked, so a reader must not de-chunk it again.
_HOP_HEADERS = {b"transfer-encoding"}


class ArchiveError(RuntimeError):
    """An archive folder that cannot be written or read; the message says why."""


def check_archive_dir(folder: Path) -> None:
    """ArchiveError, saying why, unless WARC files can be created in `folder`
    (created if missing)."""
    probe = folder / f".newscrawl-probe-{os.getpid()}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe.touch(exist_ok=False)
        probe.unlink()
    except OSError as exc:
        raise ArchiveError(
            f"cannot write the archive folder {folder}: {exc.strerror or exc}"
        ) from None


def _utc_stamp() -> str:
    return datetime.now(UTC).strftime("%Y%m%d%H%M%S")


class _WarcFiles:
    """The WARC files of one folder in one run: numbered, rotated by size."""

    def __init__(self, folder: Path, max_bytes: int, started: str) -> None:
        self.folder = folder
        self.max_bytes = max_bytes
        self.prefix = f"newscrawl-{started}-{os.getpid()}"
        self.serial = -1
        self.name = ""
        self.file: io.FileIO | None = None
        self.size = 0

    def _open_next(self) -> None:
        self.close()
        self.serial += 1
        self.name = f"{self.prefix}-{self.serial:05d}{WARC_SUFFIX}"
        # "x": never over another run's file.
        self.file = io.FileIO(self.folder / self.name, "xb")
        self.size = 0
        buffer = io.BytesIO()
        writer = WARCWriter(buffer, gzip=True)
        writer.write_record(
            writer.create_warcinfo_record(
                self.name,
                {
                    "software": f"newscrawl/{__version__} (Scrapy; warcio)",
                    "format": "WARC File Format 1.0",
                    "hostname": socket.gethostname(),
                    "robots": "obey",
                },
            )
        )
        self._append(buffer.getvalue())

    def _append(self, data: bytes) -> int:
        """Write `data` whole at the end of the file; returns where it starts. On an
        error the file is cut back to where it was, and the error raised."""
        assert self.file is not None
        start = self.size
        try:
            view = memoryview(data)
            while view:
                written = self.file.write(view)
                view = view[written or 0 :]
        except OSError:
            with contextlib.suppress(OSError):  # the write's own error is the one to report
                os.ftruncate(self.file.fileno(), start)
            raise
        self.size += len(data)
        return start

    def write(self, records: bytes) -> str:
        """Append a pair of records; returns where it starts ("file:offset")."""
        if self.file is None or self.size >= self.max_bytes:
            self._open_next()
        return f"{self.name}:{self._append(records)}"

    def close(self) -> None:
        if self.file is not None:
            try:
                self.file.close()
            finally:
                self.file = None


def _records(request: Request, response: Response) -> bytes:
    """The request and response as a WARC response record and request record."""
    buffer = io.BytesIO()
    writer = WARCWriter(buffer, gzip=True)
    try:
        phrase = HTTPStatus(response.status).phrase
    except ValueError:  # a status with no standard phrase
        phrase = ""
    protocol = response.protocol or "HTTP/1.1"
    http_headers = StatusAndHeaders(
        f"{response.status} {phrase}".strip(), _header_list(response.headers), protocol=protocol
    )
    warc_headers = {}
    if response.ip_address is not None:
        warc_headers["WARC-IP-Address"] = str(response.ip_address)
    body = response.body
    record = writer.create_warc_record(
        response.url, "response", payload=io.BytesIO(body), length=len(body),
        http_headers=http_headers, warc_headers_dict=warc_headers,
    )  # fmt: skip
    parts = urlsplit(request.url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    request_headers = _header_list(request.headers)
    if not any(name.lower() == "host" for name, _ in request_headers):
        request_headers.insert(0, ("Host", parts.netloc))
    asked = writer.create_warc_record(
        request.url, "request", payload=io.BytesIO(request.body), length=len(request.body),
        http_headers=StatusAndHeaders(f"{request.method} {target} {protocol}", request_headers,
                                      is_http_request=True),
    )  # fmt: skip
    writer.write_request_response_pair(asked, record)
    return buffer.getvalue()


def _header_list(headers: Any) -> list[tuple[str, str]]:
    return [
        (name.decode("latin-1"), value.decode("latin-1"))
        for name, values in headers.items()
        if name.lower() not in _HOP_HEADERS
        for value in values
    ]


class WarcArchive:
    """Downloader middleware: every response and its request, as WARC records."""

    def __init__(self, crawler: Crawler) -> None:
        config = NewscrawlConfig.of(crawler)
        self.crawler = crawler
        self.default = config.archive_dir
        # A site's own archive (the sites file) over the crawl's.
        self.by_site: dict[str, Path] = {
            site.name: site.archive
            for site in getattr(crawler.spider, "sites", ())
            if getattr(site, "archive", None)
        }
        if self.default is None and not self.by_site:
            raise NotConfigured  # off: nothing to log, it is the default
        self.max_bytes = config.archive_max_mb * 1024 * 1024
        self.started = _utc_stamp()
        self.files: dict[Path, _WarcFiles] = {}
        self.failed = False
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WarcArchive:
        return cls(crawler)

    def spider_opened(self, spider: Any) -> None:
        """Before the first request: every archive folder must take files."""
        folders = sorted({*self.by_site.values(), *([self.default] if self.default else [])})
        try:
            for folder in folders:
                check_archive_dir(folder)
        except ArchiveError as exc:
            if self.crawler.stats is not None:
                self.crawler.stats.set_value(ARCHIVE_ERROR, str(exc))
            logger.error("%s", exc)
            raise CloseSpider(ARCHIVE_UNAVAILABLE) from None
        for folder in folders:
            logger.info("archiving the fetched pages as WARC in %s", folder)

    def spider_closed(self, spider: Any) -> None:
        for files in self.files.values():
            files.close()
        self.files.clear()

    def folder_for(self, request: Request) -> Path | None:
        return self.by_site.get(str(request.meta.get("site", ""))) or self.default

    def process_response(
        self, request: Request, response: Response, spider: Any = None
    ) -> Response:
        request.meta.pop(ARCHIVE_META, None)  # a redirect's, copied into its next request
        folder = self.folder_for(request)
        if folder is None or self.failed:
            return response
        files = self.files.get(folder)
        if files is None:
            files = self.files[folder] = _WarcFiles(folder, self.max_bytes, self.started)
        try:
            request.meta[ARCHIVE_META] = files.write(_records(request, response))
        except OSError as exc:
            self.failed = True
            files.close()
            stop_on_write_error(
                self.crawler, f"cannot write to the archive {folder}: {exc.strerror or exc}"
            )
            return response
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value(ARCHIVED)
        return response


# -- reading --------------------------------------------------------------------------


@dataclass(frozen=True)
class ArchivedPage:
    """A response as archived: its address, status, headers and decoded body."""

    url: str
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    date: str  # WARC-Date


def _decoded(body: bytes, encoding: str | None) -> bytes:
    """The body without its Content-Encoding (as Scrapy decodes it)."""
    for coding in reversed([c.strip().lower() for c in (encoding or "").split(",") if c.strip()]):
        if coding in ("gzip", "x-gzip"):
            body = zlib.decompress(body, 16 + zlib.MAX_WBITS)
        elif coding == "deflate":
            try:
                body = zlib.decompress(body)
            except zlib.error:
                body = zlib.decompress(body, -zlib.MAX_WBITS)
        elif coding == "br":
            import brotli  # Scrapy's own dependency

            body = brotli.decompress(body)
        elif coding == "zstd":
            from backports import zstd  # Scrapy's own dependency before Python 3.14

            body = zstd.decompress(body)
        elif coding != "identity":
            raise ValueError(f"unknown Content-Encoding {coding!r}")
    return body


def _page(record: Any) -> ArchivedPage | None:
    if record.rec_type != "response" or record.http_headers is None:
        return None
    raw = record.raw_stream.read()
    headers = list(record.http_headers.headers)
    encoding = record.http_headers.get_header("Content-Encoding")
    try:
        status = int(record.http_headers.get_statuscode())
        body = _decoded(raw, encoding)
    except (ValueError, zlib.error, OSError) as exc:
        raise ArchiveError(f"unreadable response record: {exc}") from None
    return ArchivedPage(
        url=record.rec_headers.get_header("WARC-Target-URI"),
        status=status,
        headers=[(n, v) for n, v in headers if n.lower() != "content-encoding"],
        body=body,
        date=record.rec_headers.get_header("WARC-Date") or "",
    )


def archived_page(folder: Path, location: str) -> ArchivedPage | None:
    """The response archived at `location` ("file:offset") in `folder`, or None when
    it is not there."""
    name, _, offset = location.rpartition(":")
    path = folder / name
    if not name or "/" in name or not offset.isdigit() or not path.is_file():
        return None
    try:
        with path.open("rb") as stream:
            stream.seek(int(offset))
            for record in ArchiveIterator(stream):
                return _page(record)
    except (OSError, ValueError, EOFError, ArchiveLoadFailed) as exc:  # not a WARC file
        raise ArchiveError(f"{path}: {exc}") from None
    return None


def scan_archive(folder: Path) -> dict[str, str]:
    """Every 2xx response in `folder`'s WARC files, by URL: where the latest one is
    ("file:offset"). For rows stored without a location, or whose file moved."""
    found: dict[str, tuple[str, str]] = {}
    for path in sorted(folder.glob(f"*{WARC_SUFFIX}")) + sorted(folder.glob("*.warc")):
        try:
            with path.open("rb") as stream:
                iterator = ArchiveIterator(stream)
                for record in iterator:
                    if record.rec_type != "response" or record.http_headers is None:
                        continue
                    if not record.http_headers.get_statuscode().startswith("2"):
                        continue
                    url = record.rec_headers.get_header("WARC-Target-URI")
                    date = record.rec_headers.get_header("WARC-Date") or ""
                    if url not in found or found[url][0] <= date:
                        found[url] = (date, f"{path.name}:{iterator.get_record_offset()}")
        except (OSError, ValueError, EOFError, ArchiveLoadFailed) as exc:  # not a WARC file
            logger.warning("%s: stopped reading: %s", path, exc)
    return {url: location for url, (_, location) in found.items()}
