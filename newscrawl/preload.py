"""Imported once by the extraction pool's fork server, before it forks any worker.

Every worker then starts from a process that has already imported trafilatura,
lxml and htmldate (with dateparser, which htmldate loads on its first hard
date), and compiled their expressions: worker start-up is quicker, and the
workers share those pages of memory with the fork server instead of each
holding its own copy (about 70 MiB each). gc.freeze() keeps the garbage
collector from touching, and so copying, the shared objects.
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import os
import signal
import sys

# A terminal's Ctrl-C reaches its whole process group, this fork server too: the
# imports below take a second or more, and Python's own handler printed a
# KeyboardInterrupt traceback from them. The fork server ignores SIGINT once
# they are done, and so do its workers; the command's process stops the pool.
signal.signal(signal.SIGINT, signal.SIG_IGN)

# Before anything imports rensa (the story signatures, newscrawl/duplicates.py):
# its allocator (mimalloc) reserves 1 GiB of address space as it loads, which a
# worker's address-space limit (NEWSCRAWL_WORKER_MEMORY_MB, 1 GiB by default)
# counts: every worker died taking its first page. Reserved 32 MiB at a time (its
# least), it adds 34 MiB (measured, rensa 0.5.0) and grows as it needs to. Set
# here, in the fork server, so that importing newscrawl elsewhere changes no
# process's environment.
os.environ.setdefault("MIMALLOC_ARENA_RESERVE", "32MiB")

from newscrawl.workers import quiet_abandoned_worker, warm_up

warm_up()
# What a worker reads pages with (it imports no Scrapy: tests/test_architecture.py).
importlib.import_module("newscrawl.pageworker")
# htmldate's own dependency, imported lazily by it; loaded here, once, for all
# workers, with the locales it reads most pages' dates in.
with contextlib.suppress(ImportError):
    importlib.import_module("dateparser")
    importlib.import_module("newscrawl.metadata").warm_date_reading()
# The language detector's model (68 MB unpacked): read once here, shared by every
# worker, which detects the language of the articles it reads.
importlib.import_module("newscrawl.language").language_model()
gc.freeze()
# Last, so that a failure above still shows its traceback.
sys.excepthook = quiet_abandoned_worker
