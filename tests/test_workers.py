"""Extraction in worker processes: a page that hangs, a worker that dies, and
identical output to extraction in the crawler's own process."""

import contextlib
import gc
import json
import os
import re
import signal
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from pebble import ProcessExpired

from newscrawl.workers import (
    EXTRACTION_CRASHED,
    EXTRACTION_INTERRUPTED,
    EXTRACTION_TIMEOUT,
    TASK_FAILURES,
    TRIM_EVERY,
    WORKER_GC_THRESHOLD,
    ExtractionPool,
    failure_of,
)

from .conftest import BIN, FAST, REPO, FolderSite, run
from .discovery_site import write_article
from .proctree import cpu_seconds, status_fields, worker_pids

# An article of 24,000 short paragraphs, within what a worker parses of a page
# (pageworker.MAX_TAGS): about 3 s of CPU, where a news article takes 20 ms.
HOSTILE = (
    "<html><head><title>Slow</title><meta property='og:type' content='article'></head><body><article>"
    + "".join(f"<p>Line {n} of the long read, about berth {n % 97}.</p>" for n in range(24_000))
    + "</article></body></html>"
)
STORIES = {
    "s1": "Harbour board elects its first woman chair",
    "s2": "Rowing club rebuilds its boathouse",
}


@pytest.fixture()
def site(tmp_path: Path) -> Iterator[FolderSite]:
    (tmp_path / "news").mkdir()
    (tmp_path / "news" / "hostile.html").write_text(HOSTILE)
    for slug, title in STORIES.items():
        write_article(tmp_path, slug, title, "2026-11-20T10:00:00+00:00")
    server = FolderSite(tmp_path)
    yield server
    server.close()


def urls(site: FolderSite) -> list[str]:
    return [site.url + "news/hostile.html", *(site.url + f"news/{slug}.html" for slug in STORIES)]


def test_a_page_that_hangs_extraction_times_out_and_the_crawl_goes_on(site: FolderSite):
    result = run(
        "newscrawl",
        "scrape",
        *urls(site),
        "--workers",
        "1",
        "-s",
        "NEWSCRAWL_EXTRACT_TIMEOUT=1",
        *FAST,
    )
    err = result.stderr.decode()
    items = [json.loads(line) for line in result.stdout.decode().splitlines()]
    assert sorted(item["title"] for item in items) == sorted(STORIES.values())
    assert f"no article from {site.url}news/hostile.html: extraction_timeout" in err
    assert result.returncode == 1  # one URL gave no article


def reading_the_hostile_page(
    crawler: subprocess.Popen[bytes], site: FolderSite, cpu: float
) -> list[int]:
    """The crawl's workers (the fork server's children; there is one) once the
    hostile page was fetched and they spent `cpu` seconds since: only that page
    takes so long, so a worker is reading it."""
    deadline = time.monotonic() + 60
    workers: list[int] = []
    while time.monotonic() < deadline and not ("/news/hostile.html" in site.hits and workers):
        workers = worker_pids(crawler.pid)
        time.sleep(0.05)
    assert workers, "no worker process found"
    start = cpu_seconds(workers)
    while time.monotonic() < deadline and cpu_seconds(workers) - start < cpu:
        time.sleep(0.05)
    return workers


def test_a_worker_that_dies_is_replaced_and_the_crawl_goes_on(site: FolderSite, tmp_path: Path):
    out = tmp_path / "out.jsonl"
    command = [str(BIN / "newscrawl"), "crawl", urls(site)[0], *urls(site)[1:], "-o", str(out),
               "--workers", "1", "-s", "NEWSCRAWL_EXTRACT_TIMEOUT=60", *FAST]  # fmt: skip
    crawler = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        workers = reading_the_hostile_page(crawler, site, cpu=1.0)
        for worker in workers:
            os.kill(worker, signal.SIGKILL)
        _, stderr = crawler.communicate(timeout=60)
    finally:
        crawler.kill()
    err = stderr.decode()
    assert crawler.returncode == 0, err
    assert "no article at " in err and "extraction_crashed" in err
    titles = sorted(json.loads(line)["title"] for line in out.read_text().splitlines())
    assert titles == sorted(STORIES.values())


def test_pool_and_inline_extraction_give_identical_items(site_url: str, tmp_path: Path):
    outputs = []
    for workers in ("0", "2"):
        out = tmp_path / f"w{workers}.jsonl"
        result = run("newscrawl", "crawl", site_url, "-O", str(out), "--workers", workers, *FAST)
        assert result.returncode == 0, result.stderr.decode()
        items = [json.loads(line) for line in out.read_text().splitlines()]
        outputs.append(
            sorted(
                ({k: v for k, v in i.items() if k != "fetched_at"} for i in items),
                key=lambda i: i["url"],
            )
        )
    assert outputs[0] == outputs[1]
    assert len(outputs[0]) == 3


@pytest.fixture()
def pool_of_one() -> Iterator[ExtractionPool]:
    """One real worker process whose tasks may use 1 s of CPU."""
    pool = ExtractionPool(1, 1.0)
    yield pool
    pool.stop()


def test_the_time_limit_counts_cpu_not_the_clock(pool_of_one: ExtractionPool):
    """A task that takes longer than the limit on the clock but little CPU (as any
    page does on a machine busy with other work) is not cut off."""
    assert pool_of_one.call(time.sleep, 3).result() is None


def test_a_worker_collects_garbage_at_its_own_thresholds(pool_of_one: ExtractionPool):
    """A worker's collector runs at WORKER_GC_THRESHOLD, not at Python's default
    (every 700 new objects: 4-5% of a page's CPU)."""
    assert pool_of_one.call(gc.get_threshold).result() == WORKER_GC_THRESHOLD
    assert pool_of_one.call(gc.isenabled).result() is True


def _fragment_the_heap() -> int:
    """Leave 100 MB freed in pieces between blocks still in use (as a page's tree
    and strings are); the worker's RSS in MiB."""
    blocks = [bytes(2000) + n.to_bytes(4, "little") for n in range(50_000)]
    _fragment_the_heap.kept = blocks[::50]  # type: ignore[attr-defined]
    del blocks
    return _rss_mib()


def _rss_mib() -> int:
    return int(status_fields(os.getpid())["VmRSS"].split()[0]) // 1024


def test_a_worker_gives_its_free_heap_back_every_few_tasks(pool_of_one: ExtractionPool):
    fragmented = pool_of_one.call(_fragment_the_heap).result()
    after = [pool_of_one.call(_rss_mib).result() for _ in range(TRIM_EVERY)]
    assert after[-1] < fragmented - 50, f"{fragmented} MiB, then {after}"


def test_a_worker_is_replaced_after_its_tasks_and_no_task_is_lost() -> None:
    """A worker's memory grows with the pages it reads: after `max_tasks` tasks a
    new one takes its place, and every task still gets its answer."""
    pool = ExtractionPool(1, 5.0, max_tasks=2)
    try:
        pids = [pool.call(os.getpid).result() for _ in range(5)]
    finally:
        pool.stop()
    assert len(pids) == 5
    assert pids[0] == pids[1] != pids[2] == pids[3] != pids[4]


def test_a_task_stuck_in_one_c_call_is_stopped_at_its_cpu_limit(pool_of_one: ExtractionPool):
    """A regular expression that backtracks for ever never returns to Python: the
    kernel's CPU timer ends its worker, the task counts as a timeout (not a crash),
    and the pool's next task runs in a new worker."""
    future = pool_of_one.call(re.fullmatch, "(a+)+b", "a" * 40)
    with pytest.raises(TASK_FAILURES) as raised:
        future.result()
    assert isinstance(raised.value, ProcessExpired)  # the CPU limit, not the clock's backstop
    assert failure_of(raised.value) == EXTRACTION_TIMEOUT
    assert pool_of_one.call(len, "abc").result() == 3


# A worker that its pool gives up on while it is still starting: the fork server's
# child is still unpickling what the pool sent it when the pool drops its
# semaphores (pebble closes a pool's channels before it stops its workers), as
# happens when a crawl ends within a second of starting. Here the child's
# unpickling waits, in a call pickle makes on load, until the parent opens a FIFO
# for writing, which it does once it has dropped the semaphore as pebble's
# ChannelMutex.unlink does.
ABANDONED_WORKER = """
import multiprocessing, operator, os, sys, types

fifo = sys.argv[1]
os.mkfifo(fifo)

class WaitForTheParent:
    def __reduce__(self):
        return (open, (fifo, "rb"))

context = multiprocessing.get_context("forkserver")
context.set_forkserver_preload(["newscrawl.preload"])
channel = types.SimpleNamespace(mutex=context.Lock())
worker = context.Process(target=operator.is_, args=(WaitForTheParent(), channel))
worker.start()
del channel.mutex  # its last reference: the semaphore is unlinked
open(fifo, "wb").close()
worker.join(60)
print(worker.exitcode)
"""


def _start_worker_in_a_fork_server(code: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "python"), "-c", code, str(tmp_path / "fifo")], cwd=REPO,
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def test_a_worker_abandoned_while_it_starts_prints_no_traceback(tmp_path: Path):
    result = _start_worker_in_a_fork_server(ABANDONED_WORKER, tmp_path)
    assert result.stdout.strip() == "1", result.stderr  # the worker did not start
    assert "Traceback" not in result.stderr
    assert result.stderr == ""  # nothing was lost: there is nothing to say


def test_a_worker_that_cannot_start_for_another_reason_shows_its_traceback(tmp_path: Path):
    # What the pool sent cannot be read, for a reason that is not the pool's end:
    # pickle's call on load fails.
    code = ABANDONED_WORKER.replace('(open, (fifo, "rb"))', "(int, ('not a number',))")
    code = code.replace('open(fifo, "wb").close()\n', "")
    result = _start_worker_in_a_fork_server(code, tmp_path)
    assert result.stdout.strip() == "1", result.stderr
    assert "Traceback (most recent call last)" in result.stderr
    assert "ValueError: invalid literal for int() with base 10: 'not a number'" in result.stderr


# pebble's own threads end with the broken pool's exception, unhandled: its way of
# saying so, and not what this test is about.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_tasks_waiting_when_the_pool_breaks_fail_instead_of_waiting_for_ever():
    """pebble breaks the pool when a worker dies with no task it knows to be
    running (here: each worker runs out of its 5 MiB of address space as it takes
    its first task from the pipe, as one killed by the kernel's OOM killer would
    die), fails the tasks it had handed out and left the queued ones pending for
    ever: a crawl awaiting them never ended. (A crawl cannot be given 5 MiB:
    NEWSCRAWL_WORKER_MEMORY_MB is at least 384.)"""
    import concurrent.futures

    pool = ExtractionPool(2, 1.0, memory_mb=5)
    try:
        # 2 MB a task: taking it from the pipe needs memory the worker has not got.
        futures = [pool.call(len, bytes(2_000_000)) for _ in range(12)]
        done, waiting = concurrent.futures.wait(futures, timeout=60)
        assert not waiting, f"{len(waiting)} of 12 tasks still waiting after 60 s"
        for future in done:
            assert isinstance(future.exception(), TASK_FAILURES)
        # A pool that broke takes no more tasks, and says so at once.
        late = pool.call(len, b"")
        assert isinstance(late.exception(timeout=10), TASK_FAILURES)
    finally:
        pool.stop()


def test_a_worker_at_the_least_memory_allowed_reads_and_signs_a_page():
    """NEWSCRAWL_WORKER_MEMORY_MB may be as low as MIN_WORKER_MEMORY_MB, so a worker
    at rest must leave room under it for a page. A library that reserves address
    space as it loads counts against the limit: rensa's allocator reserved 1 GiB,
    and every worker died taking its first page, at the default limit as well."""
    from newscrawl.config import MIN_WORKER_MEMORY_MB
    from newscrawl.workers import page_in_worker

    paragraphs = "".join(
        f"<p>The harbour board met on day {n} and agreed to dredge berth {n} before the"
        " autumn storms, after the pilots had warned of silt at low water.</p>"
        for n in range(40)
    )
    # Menus and scripts make a news page's HTML some 300 KB (its text a few KB).
    menu = "".join(f'<li><a href="/section/{n}.html">Section {n}</a></li>' for n in range(2_000))
    script = "<script>" + "var x = 1;" * 15_000 + "</script>"
    body = (
        f"<html><head>{script}</head><body><nav><ul>{menu}</ul></nav>"
        f"<article><h1>Dredging</h1>{paragraphs}</article></body></html>"
    )
    pool = ExtractionPool(1, 5.0, memory_mb=MIN_WORKER_MEMORY_MB)
    try:
        future = pool.call(
            page_in_worker, body.encode(), "http://harbour.test/dredging.html", "text/html",
            declared_article=True, explain=False, sign_story=True,
        )  # fmt: skip
        reading = future.result(timeout=60)
    finally:
        pool.stop()
    assert reading.failure is None and reading.article is not None
    assert reading.article.signed is not None and reading.article.signed.signature is not None


# pebble's own threads end with the broken pool's exception, unhandled.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_tasks_no_worker_takes_fail_once_the_pool_has_done_nothing_for_its_stall_limit():
    """A task no worker has taken has no time limit of its own: with its only worker
    stopped (SIGSTOP: a frozen cgroup, a debugger, a machine swapping), every task
    waited for ever, and so did the crawl."""
    import concurrent.futures

    pool = ExtractionPool(1, 1.0, stall_seconds=3)
    try:
        worker = pool.call(os.getpid).result(timeout=60)
        os.kill(worker, signal.SIGSTOP)
        started = time.monotonic()
        # 200 kB a task: more than the pipe to the stopped worker holds.
        futures = [pool.call(len, bytes(200_000)) for _ in range(4)]
        done, waiting = concurrent.futures.wait(futures, timeout=45)
        assert not waiting, f"{len(waiting)} of 4 tasks still waiting after 45 s"
        assert time.monotonic() - started >= 3  # not before the limit
        for future in done:
            assert isinstance(future.exception(), TASK_FAILURES)
        assert pool.stalled is not None and "no page done in" in pool.stalled
        assert isinstance(pool.call(len, b"").exception(timeout=10), TASK_FAILURES)
    finally:
        stopping = time.monotonic()
        pool.stop()  # SIGKILL ends a stopped worker
        assert time.monotonic() - stopping < 30


def test_a_pool_with_nothing_to_do_is_not_stalled():
    # 5 s: a task of the test's own may wait a while for a CPU on a loaded machine.
    pool = ExtractionPool(1, 1.0, stall_seconds=5)
    try:
        assert pool.call(len, b"abc").result(timeout=60) == 3
        time.sleep(6)  # idle past the limit: no task waits, nothing is wrong
        assert pool.stalled is None
        assert pool.call(len, b"abcd").result(timeout=60) == 4
    finally:
        pool.stop()


PAUSED_POOL = """
import os, sys, time
from newscrawl.workers import ExtractionPool

def main():
    pool = ExtractionPool(1, 30.0, stall_seconds=5)
    pool.call(os.getpid).result(timeout=60)
    futures = [pool.call(sum, range(5_000_000)) for _ in range(20)]  # busy, healthy
    print("ready", flush=True)
    failed = 0
    for future in futures:
        try:
            future.result(timeout=120)
        except Exception as exc:
            failed += 1
            print("failed:", type(exc).__name__, exc, flush=True)
    print(f"done {len(futures) - failed} of {len(futures)}; stalled={pool.stalled}", flush=True)
    pool.stop()

if __name__ == "__main__":
    main()
"""


def test_a_crawl_paused_as_a_whole_is_not_taken_for_stopped_workers(tmp_path: Path):
    """Ctrl-Z, a paused container: the crawler, its watchdog and its workers stop
    together, for longer than the stall limit. Resumed, the watchdog found tasks
    waiting and no page done for that long, and broke a healthy pool."""
    script = tmp_path / "paused_pool.py"
    script.write_text(PAUSED_POOL)
    process = subprocess.Popen([str(BIN / "python"), str(script)], cwd=REPO, text=True,
                               stdout=subprocess.PIPE, start_new_session=True)  # fmt: skip
    try:
        assert process.stdout is not None
        assert process.stdout.readline().strip() == "ready"
        os.killpg(process.pid, signal.SIGSTOP)  # the script, its fork server and worker
        time.sleep(10)  # twice the stall limit
        os.killpg(process.pid, signal.SIGCONT)
        out, _ = process.communicate(timeout=120)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
    assert "done 20 of 20; stalled=None" in out, out


def test_a_stop_signal_to_the_whole_group_is_no_fault_of_the_page(site: FolderSite, tmp_path: Path):
    """SIGTERM to the crawl's process group (`timeout`, `kill -- -PGID`) ends the
    workers too. The page one was reading was counted as crashing its worker and
    settled as no article; it is read again by the next run now."""
    db = tmp_path / "news.db"
    hostile = urls(site)[0]
    command = [str(BIN / "newscrawl"), "crawl", hostile, "--db", str(db), "--workers", "1",
               "-s", "NEWSCRAWL_EXTRACT_TIMEOUT=60", *FAST]  # fmt: skip
    crawler = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               start_new_session=True)  # fmt: skip
    try:
        reading_the_hostile_page(crawler, site, cpu=0.5)
        os.killpg(crawler.pid, signal.SIGTERM)
        _, stderr = crawler.communicate(timeout=90)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(crawler.pid, signal.SIGKILL)
    err = stderr.decode()
    assert crawler.returncode == 130, err
    assert "extraction_crashed" not in err and "extraction_interrupted" in err, err
    with sqlite3.connect(db) as connection:
        (state,) = connection.execute(
            "SELECT state FROM urls WHERE url LIKE '%/news/hostile.html'"
        ).fetchone()
    assert state == "failed"  # fetched again by the next run


def test_a_worker_exiting_with_1_crashed_and_one_ended_by_sigterm_was_interrupted():
    # 1 is SIGHUP's number, and also what a worker whose loop raised exits with:
    # a crash, which counts toward the workers dying page after page.
    assert failure_of(ProcessExpired("Abnormal termination", code=1)) == EXTRACTION_CRASHED
    assert failure_of(ProcessExpired("Abnormal termination", code=255)) == EXTRACTION_CRASHED
    for code in (signal.SIGTERM, -signal.SIGTERM):  # pebble's handler, or the signal itself
        assert failure_of(ProcessExpired("Abnormal termination", code=code)) == (
            EXTRACTION_INTERRUPTED
        )
