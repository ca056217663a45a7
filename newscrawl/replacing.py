"""A file written whole or not at all: written as a temporary file beside it,
which replaces it once complete. A reader never sees half of it, and a failure
(a full disk, a file-size limit) leaves the old file, or none, as it was."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

__all__ = ["replacing"]


@contextlib.contextmanager
def replacing(path: Path, prefix: str | None = None) -> Iterator[Path]:
    """A temporary file beside `path` (named `prefix`..., by default ".name."),
    to write; it replaces `path` when the block ends without an error, and is
    removed either way. Raises OSError when any of that fails."""
    folder = path.parent
    handle, name = tempfile.mkstemp(prefix=prefix or f".{path.name}.", dir=folder)
    os.close(handle)
    partial = Path(name)
    try:
        yield partial
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
