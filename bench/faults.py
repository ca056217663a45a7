#!/usr/bin/env python3
"""Fault suite report: inject the reliability plan's faults and print its figures.

    .venv/bin/python bench/faults.py [--trials 20] [--pages 500]

Runs the scenarios of tests/faultcases.py (the same ones `make test` asserts) on
a hostile site bound to 127.0.0.1, with 127.0.0.2 as the forbidden internal
host, plus `--trials` SIGKILL-and-re-run trials of a crawl of `--pages` local
articles. Nothing leaves the loopback interface. Prints, as the plan's section 1
asks: faults injected, survived and handled correctly; acknowledged items lost,
duplicates; integrity checks; forbidden hits and header leaks; peak memory;
shutdown time; politeness. Exit status 1 if any fault was not handled correctly.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests import faultcases as cases
from tests import trustcases


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=20, help="SIGKILL trials (default 20)")
    parser.add_argument("--pages", type=int, default=500, help="articles per trial crawl")
    args = parser.parse_args()
    started = time.monotonic()
    verdicts: list[cases.Verdict] = []
    timings: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="newscrawl-faults-") as tmp, cases.fault_site() as site:
        work = Path(tmp)

        def timed(name: str, scenario):  # type: ignore[no-untyped-def]
            began = time.monotonic()
            result = scenario()
            timings[name] = time.monotonic() - began
            return result

        scrape, found = timed("scrape", lambda: cases.scrape_scenario(site, work / "scrape"))
        verdicts += found
        discovery, found = timed(
            "discovery", lambda: cases.discovery_scenario(site, work / "discovery")
        )
        verdicts += found
        verdicts.append(timed("trap cap", lambda: cases.trap_cap_scenario(site, work / "trap")))
        verdicts.append(timed("file start URL", lambda: cases.start_url_scenario(work)))
        verdicts.append(
            timed("torn JSON Lines", lambda: cases.torn_jsonl_scenario(site, work / "torn"))
        )
        verdicts.append(timed("SIGTERM", lambda: cases.shutdown_scenario(site, work / "term")))
        verdicts.append(
            timed("stop watchdog", lambda: cases.stop_watchdog_scenario(site, work / "dog"))
        )
        verdicts.append(timed("disk full", lambda: cases.disk_full_scenario(site, work / "disk")))
        verdicts.append(timed("overlap", lambda: cases.overlap_scenario(site, work / "overlap")))
        verdicts += timed("memory", lambda: cases.memory_scenario(site, work / "memory"))
        # Issue 13: the trust boundary between sites (F27-F35), on their own hostile site;
        # issue 15: pages too big for one process beside a healthy site (F36-F39).
        with trustcases.trust_site() as trust:
            for name in ("robots", "canonical", "internal", "starvation", "budget", "idn",
                         "credentials", "heavy"):  # fmt: skip
                scenario = getattr(trustcases, f"{name}_scenario")
                folder = work / f"trust-{name}"
                folder.mkdir()
                verdicts += timed(f"trust: {name}", lambda s=scenario, f=folder: s(trust, f))
            trust_internal_hits = len(trust.intranet_hits)
        print(f"running {args.trials} SIGKILL trials of {args.pages} pages ...", file=sys.stderr)
        kills = timed(
            "SIGKILL trials",
            lambda: cases.kill_trials(args.trials, work / "kill", pages=args.pages),
        )
        kill = cases.Verdict("F21", f"SIGKILL during a crawl, {kills.trials} trials", survived=True)
        kill.expect(kills.lost == 0, f"{kills.lost} acknowledged articles lost")
        kill.expect(kills.duplicates == 0, f"{kills.duplicates} duplicate rows")
        kill.expect(kills.integrity_ok == kills.checks, "integrity check failed")
        kill.expect(
            all(n == args.pages for n in kills.final_counts), f"final counts {kills.final_counts}"
        )
        kill.expect(kills.jsonl_valid == kills.trials, "an invalid JSON Lines file")
        verdicts.append(kill)
        total = time.monotonic() - started

        by_fault: dict[str, list[cases.Verdict]] = {}
        for v in verdicts:
            if v.fault != "F00":
                by_fault.setdefault(v.fault, []).append(v)
        failing = sorted(f for f, vs in by_fault.items() if not all(v.correct for v in vs))
        survived = sum(all(v.survived for v in vs) for vs in by_fault.values())
        correct = len(by_fault) - len(failing)
        checks = kills.checks + sum(1 for r in (scrape, discovery) if r.integrity is not None)
        integrity_ok = kills.integrity_ok + sum(
            1 for r in (scrape, discovery) if r.integrity == "ok"
        )
        private_hits = [
            h for h in site.hits if h.path.startswith("/private/") and h.host != "robots404.test"
        ]
        leaks = [
            h
            for h in site.hits
            if h.path == "/echo" and ({"Cookie", "Authorization"} & set(h.headers))
        ]
        waits = next(v for v in verdicts if v.fault == "F07").figures.get(
            "shortest wait before a retry s"
        )
        term, dog = (v.figures.get("stop seconds") for v in verdicts if v.fault == "F23")
        memory = [v for v in verdicts if v.fault == "F26"]

        print("\n== Totals")
        print(f"faults injected           {len(by_fault)}  ({', '.join(sorted(by_fault))})")
        print(f"survived                  {survived}/{len(by_fault)}")
        print(
            f"correct                   {correct}/{len(by_fault)}"
            + (f"  failing: {', '.join(failing)}" if failing else "")
        )
        print("\n== Data loss")
        print(
            f"SIGKILL trials            {kills.trials} (killed at {', '.join(f'{s:.1f}' for s in kills.killed_at)} s)"
        )
        print(f"acknowledged items lost   {kills.lost}")
        print(
            f"duplicates after re-runs  {kills.duplicates} (SQLite rows; final counts {sorted(set(kills.final_counts))})"
        )
        print(
            f"fetched again after kill  {kills.refetched} (uncommitted at the kill: at-least-once)"
        )
        print(f"JSON Lines repeats        {kills.jsonl_repeats} (lines appended twice; see README)")
        print("\n== Storage integrity")
        print(f"integrity_check ok        {integrity_ok}/{checks}")
        print(f"JSON Lines files valid    {kills.jsonl_valid}/{kills.trials}")
        torn = next(v for v in verdicts if v.fault == "F22").figures.get("torn lines repaired")
        print(f"torn lines repaired       {torn}")
        print("\n== Security counters (all must be 0)")
        print(f"hits on 127.0.0.2         {len(site.internal_hits)}")
        print(
            f"trust suite intranet hits {trust_internal_hits} (the intranet site's own crawl only)"
        )
        print(f"robots-disallowed hits    {len(private_hits)}")
        local = any("local file" in p for v in verdicts for p in v.problems)
        print(f"local/internal content    {int(local)}")
        print(f"header leaks              {len(leaks)}")
        early = 0 if waits is None or waits >= 2.95 else 1
        print(f"requests before Retry-After {early} (shortest wait {waits} s for 3 s asked)")
        print(f"address refusals counted  {scrape.stats.get('newscrawl/address_refused', 0)}")
        print("\n== Resources")
        print(
            f"crawler peak RSS MiB      scrape {scrape.peak_rss_mib['main']}, discovery {discovery.peak_rss_mib['main']}"
        )
        print(
            f"worker peak RSS MiB       scrape {scrape.peak_rss_mib['workers']} (a page of 1M elements, limit 1024 MiB address space)"
        )
        for v in memory:
            print(f"{v.title:<34}{v.figures}")
        print("\n== Time")
        print(
            f"extraction timeouts       {scrape.stats.get('newscrawl/pages_dropped/extraction_timeout', 0)}"
        )
        print(f"graceful stop (F23)       {term} s after SIGTERM (DOWNLOAD_TIMEOUT 10 s in flight)")
        print(
            f"watchdog stop (F23)       {dog} s after SIGTERM (DOWNLOAD_TIMEOUT 60 s, NEWSCRAWL_STOP_TIMEOUT 3 s)"
        )
        slowest = max(timings, key=lambda k: timings[k])
        print(f"slowest scenario          {slowest} {timings[slowest]:.1f} s")
        print(f"suite wall time           {total:.1f} s")
        print("\n== Politeness")
        print(f"max in flight per host    {dict(sorted(site.max_in_flight.items()))}")
        print("\n== Every fault")
        for v in verdicts:
            state = "ok" if v.correct else "FAILED"
            extra = f"  {v.figures}" if v.figures else ""
            print(f"{v.fault} {state:<6} {v.title}{extra}")
            for problem in v.problems:
                print(f"          - {problem}")
    return 1 if failing else 0


if __name__ == "__main__":
    sys.exit(main())
