"""JSON Lines files that survive a killed crawl, and a full disk.

A crawl killed mid-write can leave its JSON Lines file ending in half a record.
Appending the next run's records after it would glue the two into one invalid
line. Before appending, this storage cuts such a torn last line, so every line
of the file stays a complete JSON object; complete lines are never touched.

Every record is written through to the file, and a write that fails (a full
disk, a file deleted or its folder removed during the crawl) stops the crawl
like a store that cannot be written: one line, finish reason OUTPUT_ERROR, the
store keeping what it has. (Scrapy alone logs a traceback per record and goes
on, exit code 0, its records gone.)
"""

from __future__ import annotations

import contextlib
import logging
import os
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from scrapy.extensions.feedexport import FileFeedStorage

from newscrawl.stopwatch import stop_crawl
from newscrawl.vocabulary import OUTPUT_ERROR, OUTPUT_ERROR_MESSAGE

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

__all__ = ["GuardedFile", "JsonLinesSafeFileStorage", "repair_torn_tail"]

logger = logging.getLogger(__name__)


def repair_torn_tail(path: Path) -> int:
    """Cut `path` after its last newline; return how many bytes were cut."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return 0
    if size == 0:
        return 0
    with path.open("rb+") as handle:
        handle.seek(size - 1)
        if handle.read(1) == b"\n":
            return 0
        # Read backwards in blocks until the last newline.
        position = size
        while position > 0:
            start = max(0, position - 65536)
            handle.seek(start)
            block = handle.read(position - start)
            newline = block.rfind(b"\n")
            if newline != -1:
                keep = start + newline + 1
                break
            position = start
        else:
            keep = 0
        handle.truncate(keep)
        handle.flush()
        os.fsync(handle.fileno())
    return size - keep


class GuardedFile:
    """The feed's file, each write flushed; the first failed write stops the crawl
    (and the rest are dropped quietly: the crawl is stopping)."""

    def __init__(self, raw: IO[bytes], path: str, crawler: Crawler | None) -> None:
        self.raw = raw
        self.path = path
        self.crawler = crawler
        self.failed = False

    def write(self, data: bytes) -> int:
        if self.failed:
            return len(data)
        try:
            written = self.raw.write(data)
            self.raw.flush()
            if os.fstat(self.raw.fileno()).st_nlink == 0:
                raise OSError(f"{self.path} was deleted during the crawl")
        except OSError as exc:
            self._failed(exc)
            return len(data)
        return written

    def _failed(self, exc: OSError) -> None:
        self.failed = True
        message = f"cannot write {self.path}: {exc.strerror or exc}"
        logger.error("stopping the crawl: %s", message)
        if self.crawler is not None and self.crawler.stats is not None:
            self.crawler.stats.set_value(OUTPUT_ERROR_MESSAGE, message)
            stop_crawl(self.crawler, OUTPUT_ERROR)

    def flush(self) -> None:
        if not self.failed:
            with contextlib.suppress(OSError):
                self.raw.flush()

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.raw.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.raw, name)


class JsonLinesSafeFileStorage(FileFeedStorage):
    """Scrapy's file storage, repairing a torn last line before appending, and
    stopping the crawl when a write fails (GuardedFile)."""

    def __init__(self, uri: str, *, feed_options: dict[str, Any] | None = None,
                 crawler: Crawler | None = None) -> None:  # fmt: skip
        super().__init__(uri, feed_options=feed_options)
        self.crawler = crawler

    @classmethod
    def from_crawler(
        cls, crawler: Crawler, uri: str, *, feed_options: dict[str, Any] | None = None
    ) -> JsonLinesSafeFileStorage:
        return cls(uri, feed_options=feed_options, crawler=crawler)

    def open(self, spider: Any) -> IO[bytes]:
        if self.write_mode == "ab":
            cut = repair_torn_tail(Path(self.path))
            if cut:
                logger.warning(
                    "%s ended in a torn line (%d bytes, a killed run): cut it", self.path, cut
                )
        return GuardedFile(super().open(spider), self.path, self.crawler)  # type: ignore[return-value]
