"""The fault suite (reliability plan F01-F26) on loopback: every fault survived and
handled correctly. The scenarios live in tests/faultcases.py, shared with the
report script bench/faults.py."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from . import faultcases as cases
from .faultsite import FaultSite

SCRAPE_FAULTS = ["F00", "F01", "F02", "F03", "F04", "F05", "F06", "F10", "F11", "F12", "F13",
                 "F14", "F18", "F20"]  # fmt: skip
DISCOVERY_FAULTS = ["F07", "F08", "F09", "F12", "F15", "F16", "F17", "F19"]


@pytest.fixture(scope="module")
def site() -> Iterator[FaultSite]:
    with cases.fault_site() as hostile:
        yield hostile


def _verdicts(scenario, site: FaultSite, folder: Path) -> dict[str, cases.Verdict]:  # type: ignore[no-untyped-def]
    run, verdicts = scenario(site, folder)
    assert run.returncode in (0, 1), run.stderr[-2000:]
    return {v.fault: v for v in verdicts}


@pytest.fixture(scope="module")
def scrape_verdicts(
    site: FaultSite, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, cases.Verdict]:
    return _verdicts(cases.scrape_scenario, site, tmp_path_factory.mktemp("scrape"))


@pytest.fixture(scope="module")
def discovery_verdicts(
    site: FaultSite, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, cases.Verdict]:
    return _verdicts(cases.discovery_scenario, site, tmp_path_factory.mktemp("discovery"))


def _check(verdict: cases.Verdict) -> None:
    assert verdict.survived, f"{verdict.fault} {verdict.title}: the crawler did not survive"
    assert not verdict.problems, f"{verdict.fault} {verdict.title}: {verdict.problems}"


@pytest.mark.parametrize("fault", SCRAPE_FAULTS)
def test_a_one_off_scrape_handles(fault: str, scrape_verdicts: dict[str, cases.Verdict]) -> None:
    _check(scrape_verdicts[fault])


@pytest.mark.parametrize("fault", DISCOVERY_FAULTS)
def test_a_scheduled_crawl_handles(
    fault: str, discovery_verdicts: dict[str, cases.Verdict]
) -> None:
    _check(discovery_verdicts[fault])


def test_f11_a_file_start_url_is_refused_in_one_line(tmp_path: Path) -> None:
    _check(cases.start_url_scenario(tmp_path))


def test_f19_the_per_site_cap_ends_a_trap_without_a_depth_limit(
    site: FaultSite, tmp_path: Path
) -> None:
    _check(cases.trap_cap_scenario(site, tmp_path))


def test_f21_f22_sigkill_then_rerun_loses_nothing(tmp_path: Path) -> None:
    # Two trials here; the report script runs twenty.
    trials = cases.kill_trials(2, tmp_path, pages=200)
    assert trials.trials == 2
    assert trials.integrity_ok == trials.checks
    assert trials.lost == 0 and trials.duplicates == 0
    assert trials.final_counts == [200, 200]
    assert trials.jsonl_valid == 2


def test_f22_a_torn_json_lines_file_is_repaired(site: FaultSite, tmp_path: Path) -> None:
    _check(cases.torn_jsonl_scenario(site, tmp_path))


def test_f23_sigterm_with_a_download_in_flight(site: FaultSite, tmp_path: Path) -> None:
    _check(cases.shutdown_scenario(site, tmp_path))


def test_f23_a_long_stop_is_cut_short_by_the_watchdog(site: FaultSite, tmp_path: Path) -> None:
    _check(cases.stop_watchdog_scenario(site, tmp_path))


def test_f24_disk_full(site: FaultSite, tmp_path: Path) -> None:
    _check(cases.disk_full_scenario(site, tmp_path))


def test_f25_overlapping_runs(site: FaultSite, tmp_path: Path) -> None:
    _check(cases.overlap_scenario(site, tmp_path))


def test_f26_memory_ceilings(site: FaultSite, tmp_path: Path) -> None:
    for verdict in cases.memory_scenario(site, tmp_path):
        _check(verdict)
