"""A process and everything under it, read from /proc (Linux): the fault suite
and the throughput benchmark sum the memory of the crawler and its workers."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["cpu_seconds", "process_tree", "pss_bytes", "status_fields", "worker_pids"]


def status_fields(pid: int) -> dict[str, str]:
    """The fields of /proc/<pid>/status ("VmRSS" -> "123 kB"); empty once it has exited."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return {}
    return {
        name: value.strip()
        for name, _, value in (line.partition(":") for line in status.splitlines())
    }


def process_tree(root: int) -> list[int]:
    """`root` and all its descendants (the extraction workers are children of a fork
    server, so grandchildren count too), `root` first.

    It reads every process's parent from /proc, 10 times a second while a fault
    crawl runs, on a machine running hundreds of processes: with os.read, not
    pathlib, a third of the CPU (0.9 against 2.8 ms a call, 65 processes running)."""
    children: dict[int, list[int]] = {}
    with os.scandir("/proc") as entries:
        names = [entry.name for entry in entries if entry.name.isdigit()]
    for name in names:
        try:
            descriptor = os.open(f"/proc/{name}/stat", os.O_RDONLY)
            try:
                stat = os.read(descriptor, 4096)
            finally:
                os.close(descriptor)
            # The command name, in brackets, may hold spaces: the parent follows it.
            parent = int(stat.rsplit(b")", 1)[1].split(None, 2)[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(parent, []).append(int(name))
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        if pid not in tree:
            tree.append(pid)
            todo.extend(children.get(pid, []))
    return tree


def worker_pids(crawler: int) -> list[int]:
    """The crawl's extraction workers: the children of its fork server, so the
    processes of its tree that are not the crawler or its own children."""
    return [pid for pid in process_tree(crawler)[1:]
            if status_fields(pid).get("PPid") != str(crawler)]  # fmt: skip


def cpu_seconds(pids: list[int]) -> float:
    """User and system CPU time of the processes, in seconds (those that have
    exited count nothing)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14, 15)
    return total / os.sysconf("SC_CLK_TCK")


def pss_bytes(pid: int) -> int:
    """Proportional set size of `pid` in bytes: its private pages, plus its share of
    the pages it shares (the extraction workers share what their fork server
    loaded); summed over processes, every page counts once. 0 once it has exited."""
    try:
        rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return 0
    line = next((x for x in rollup.splitlines() if x.startswith("Pss:")), "Pss: 0 kB")
    return int(line.split()[1]) * 1024
