"""The loop-lag probe's reading of a stall (newscrawl/looplag.py): what the
crawler's own work held the loop, apart from what the machine's load cost it."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

from newscrawl.looplag import ThreadTimes, held_seconds, thread_times

MS = 1_000_000  # nanoseconds


def test_a_stall_of_the_loops_own_work_is_held_in_full() -> None:
    before = {"1": (0, 0), "2": (0, 0)}
    after = {"1": (300 * MS, 0), "2": (5 * MS, 0)}
    assert held_seconds(0.3, "1", before, after) == (0.3, 0.0)


def test_the_loops_own_wait_for_a_cpu_is_not_held() -> None:
    after = {"1": (100 * MS, 400 * MS)}
    held, waited = held_seconds(0.5, "1", {"1": (0, 0)}, after)
    assert round(held, 3) == 0.1 and waited == 0.4


def test_a_thread_stopped_by_the_machine_while_it_holds_the_gil_is_not_held() -> None:
    # The loop's thread slept on the interpreter's lock (no CPU used, no CPU wait):
    # a pool thread holding it waited 550 ms for a CPU.
    before = {"1": (0, 0), "7": (0, 0)}
    after = {"1": (10 * MS, 0), "7": (40 * MS, 550 * MS)}
    held, waited = held_seconds(0.6, "1", before, after)
    assert round(held, 3) == 0.05 and waited == 0.55


def test_waits_of_several_threads_at_once_count_once() -> None:
    # Two pool threads waited 300 ms each, over the same 300 ms: the loop stood
    # still 500 ms, so 200 ms of it was something else (a blocking call).
    before = {"1": (0, 0), "7": (0, 0), "8": (0, 0)}
    after = {"1": (0, 0), "7": (0, 300 * MS), "8": (0, 300 * MS)}
    held, waited = held_seconds(0.5, "1", before, after)
    assert round(held, 3) == 0.2 and waited == 0.3


def test_the_cpu_the_loops_thread_used_is_held_whatever_the_others_waited() -> None:
    before = {"1": (0, 0), "7": (0, 0)}
    after = {"1": (300 * MS, 0), "7": (0, 300 * MS)}  # it ran; the other waited for it
    assert held_seconds(0.3, "1", before, after)[0] == 0.3


def test_a_loop_that_kept_turning_held_nothing_however_busy_it_was() -> None:
    after = {"1": (45 * MS, 0)}  # 45 ms of CPU between two ticks on time
    assert held_seconds(0.001, "1", {"1": (0, 0)}, after)[0] == 0.001


def test_without_the_kernels_figures_the_whole_stall_is_held() -> None:
    assert held_seconds(0.7, "1", None, {"1": (0, 0)}) == (0.7, 0.0)
    assert held_seconds(0.7, "1", {"2": (0, 0)}, {"1": (0, 0)}) == (0.7, 0.0)


def test_every_thread_of_the_process_is_read() -> None:
    started = threading.Event()
    done = threading.Event()

    def spin() -> None:
        started.set()
        end = time.process_time() + 0.05
        while time.process_time() < end and not done.is_set():
            pass
        done.wait(5)

    worker = threading.Thread(target=spin)
    worker.start()
    try:
        started.wait(5)
        times = thread_times()
        assert times is not None
        assert str(threading.get_native_id()) in times
        assert str(worker.native_id) in times
        assert all(run >= 0 and wait >= 0 for run, wait in times.values())
    finally:
        done.set()
        worker.join()


def test_thread_files_are_kept_open_and_closed_with_their_threads() -> None:
    """The probe keeps each thread's schedstat open between reads (ThreadTimes),
    reads a thread started since, and closes the file of one that ended."""
    reader = ThreadTimes()
    try:
        assert reader.read() is not None
        done = threading.Event()
        worker = threading.Thread(target=done.wait, args=(5,))
        worker.start()
        try:
            times = reader.read()
            assert times is not None and str(worker.native_id) in times
            assert str(worker.native_id) in reader.files
        finally:
            done.set()
            worker.join()
        # join() returns a moment before the kernel's task is gone.
        gone = time.monotonic() + 5
        while (Path("/proc/self/task") / str(worker.native_id)).exists():
            assert time.monotonic() < gone
            time.sleep(0.01)
        times = reader.read()
        assert times is not None and str(worker.native_id) not in times
        assert str(worker.native_id) not in reader.files
        assert str(threading.get_native_id()) in reader.files
    finally:
        reader.close()
    assert not reader.files


def test_a_thread_file_that_can_no_longer_be_read_is_opened_anew() -> None:
    """A thread's id given to a new thread before the next read: the file kept for
    the old one fails every read, and the new thread was never measured (found by
    a review). Here the kept file is one no read succeeds on (a pipe)."""
    reader = ThreadTimes()
    read_end, write_end = os.pipe()
    try:
        own = str(threading.get_native_id())
        assert reader.read() is not None
        os.close(reader.files[own])
        reader.files[own] = read_end  # pread on a pipe fails, as on a dead thread's file
        reader.read()  # fails for it, and forgets the file
        times = reader.read()
        assert times is not None and own in times
    finally:
        reader.close()
        os.close(write_end)
