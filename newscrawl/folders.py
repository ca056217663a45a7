"""The folders a file goes in, created with an error that names what is in the way."""

from __future__ import annotations

import errno
from pathlib import Path

__all__ = ["make_parent"]


def make_parent(path: Path) -> None:
    """Create the folders `path` goes in. Where a file stands in for one of them,
    raise NotADirectoryError naming it: mkdir's own words were "[Errno 17] File
    exists: '/srv/data'" (for `--db /srv/data/news.sqlite`, /srv/data a file),
    which reads as if the database were the trouble."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        in_the_way = next(
            (
                folder
                for folder in reversed(path.parents)
                if folder.exists() and not folder.is_dir()
            ),
            path.parent,
        )
        raise NotADirectoryError(errno.ENOTDIR, f"{in_the_way} is a file, not a folder") from None
