"""The site is the trust boundary (issue 13, faults F27-F35): what one site serves
cannot touch another site, the intranet, or robots.txt's word. The scenarios live
in tests/trustcases.py, shared with the report script bench/faults.py."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from . import trustcases as cases
from .faultcases import Verdict
from .trustsite import TrustSite


@pytest.fixture(scope="module")
def site() -> Iterator[TrustSite]:
    with cases.trust_site() as hostile:
        yield hostile


def _check(verdicts: list[Verdict]) -> None:
    for verdict in verdicts:
        assert verdict.survived, f"{verdict.fault} {verdict.title}: the crawler did not finish"
        assert not verdict.problems, f"{verdict.fault} {verdict.title}: {verdict.problems}"


SCENARIOS: dict[str, Callable[[TrustSite, Path], list[Verdict]]] = {
    "robots": cases.robots_scenario,
    "canonical": cases.canonical_scenario,
    "sibling": cases.sibling_scenario,
    "internal": cases.internal_scenario,
    "starvation": cases.starvation_scenario,
    "budget": cases.budget_scenario,
    "idn": cases.idn_scenario,
    "credentials": cases.credentials_scenario,
    # Issue 15: pages too big for one process, beside a healthy site.
    "heavy": cases.heavy_scenario,
}


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_one_site_cannot_cross_into_another(scenario: str, site: TrustSite, tmp_path: Path) -> None:
    _check(SCENARIOS[scenario](site, tmp_path))
