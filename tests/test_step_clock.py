"""The CPU a crawl's step counts (newscrawl/vocabulary.CPU_MS) is its own thread's."""

import threading
import time

from newscrawl.pipelines import _ms_since


def _burn(seconds: float) -> None:
    """Spend `seconds` of this thread's CPU (a new thread's clock starts near 0)."""
    while time.thread_time() < seconds:
        pass


def test_a_step_s_cpu_leaves_out_what_other_threads_did_meanwhile() -> None:
    # The store step lets other threads run while SQLite works (the pool's,
    # Twisted's): with the process's clock, their CPU was counted to the step.
    started = time.thread_time()
    other = threading.Thread(target=_burn, args=(0.3,))
    other.start()
    other.join()  # waiting costs this thread no CPU
    assert _ms_since(started) < 100
