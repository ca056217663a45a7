"""JSON Lines files that survive a killed crawl.

A crawl killed mid-write can leave its JSON Lines file ending in half a record.
Appending the next run's records after it would glue the two into one invalid
line. Before appending, this storage cuts such a torn last line, so every line
of the file stays a complete JSON object; complete lines are never touched.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import IO, Any

from scrapy.extensions.feedexport import FileFeedStorage

__all__ = ["JsonLinesSafeFileStorage", "repair_torn_tail"]

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


class JsonLinesSafeFileStorage(FileFeedStorage):
    """Scrapy's file storage, repairing a torn last line before appending."""

    def open(self, spider: Any) -> IO[bytes]:
        if self.write_mode == "ab":
            cut = repair_torn_tail(Path(self.path))
            if cut:
                logger.warning(
                    "%s ended in a torn line (%d bytes, a killed run): cut it", self.path, cut
                )
        return super().open(spider)
