"""`newscrawl eval`: scores, snippet judgments and the per-rule report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import trafilatura

from newscrawl.config import NewscrawlConfig
from newscrawl.evaluate import EvaluationError, evaluate_folder, format_rules, score_snippets

from .conftest import SITE

FERRY = SITE / "news/2026/03/ferry-timetable-changes-for-spring.html"
FURNITURE = {
    "Ferry timetable changes for spring",
    "Advertisement",
    "Share this article",
    "More From This Section",
}


def _folder(tmp_path: Path, name: str, truth: dict[str, object]) -> Path:
    (tmp_path / "html").mkdir()
    (tmp_path / "html" / "ferry.html").write_bytes(FERRY.read_bytes())
    (tmp_path / name).write_text(json.dumps({"ferry": truth}), encoding="utf-8")
    return tmp_path


def _body() -> list[str]:
    return (trafilatura.extract(FERRY.read_bytes()) or "").split("\n")


def test_the_rule_report_says_what_each_rule_dropped_and_whether_it_was_wanted(tmp_path: Path):
    # A ground truth that keeps the headline (as some sets do) and nothing else of the furniture.
    headline = "Ferry timetable changes for spring"
    truth = "\n".join(p for p in _body() if p not in FURNITURE or p == headline)
    folder = _folder(tmp_path, "ground-truth.json", {"articleBody": truth})
    _, rules = evaluate_folder(folder, rules=True, config=NewscrawlConfig(workers=0))
    by_rule = {row.rule: row for row in rules}
    assert by_rule["headline"].words == 5 and by_rule["headline"].wanted_words == 5
    assert by_rule["headline"].wanted_share == 1.0
    assert by_rule["fragment:advertisement"].wanted_words == 0
    assert (
        by_rule["fragment:related"].words == 4 and by_rule["fragment:related"].wanted_share == 0.0
    )
    report = format_rules(rules)
    assert "headline" in report and "100%" in report


def test_a_folder_with_judgments_is_scored_by_snippets_and_charges_rules(tmp_path: Path):
    judged = {
        "with": ["Ferry timetable changes for spring", "The Lowmoor island ferry"],
        "without": ["Share this article", "a snippet found nowhere"],
    }
    folder = _folder(tmp_path, "judgments.json", judged)
    scores, rules = evaluate_folder(folder, rules=True, config=NewscrawlConfig(workers=0))
    ours, plain = scores
    assert ours.metric == "snippet" and ours.token_f1 is None
    # newscrawl finds the lead but drops the headline (lost) and the share line (removed).
    assert (ours.shingle_p, ours.shingle_r) == (1.0, 0.5)
    # Plain trafilatura keeps all three.
    assert (plain.shingle_p, plain.shingle_r) == (2 / 3, 1.0)
    by_rule = {row.rule: row for row in rules}
    assert (by_rule["headline"].snippets_lost, by_rule["headline"].snippets_removed) == (1, 0)
    assert (
        by_rule["fragment:share"].snippets_lost,
        by_rule["fragment:share"].snippets_removed,
    ) == (0, 1)
    assert by_rule["fragment:share"].wanted_share == 0.0


def test_snippets_are_matched_with_whitespace_squeezed():
    judgments = [{"with": ["two  words"], "without": ["gone"]}]
    assert score_snippets(judgments, ["two\nwords here"]) == (1.0, 1.0, 1.0)
    assert score_snippets(judgments, ["gone"]) == (0.0, 0.0, 0.0)


def test_a_ground_truth_entry_that_is_no_object_is_one_line(tmp_path: Path):
    """`{"ferry": "text"}` was an AttributeError traceback."""
    folder = _folder(tmp_path, "ground-truth.json", "the text")  # type: ignore[arg-type]
    with pytest.raises(EvaluationError, match="page 'ferry': expected an object"):
        evaluate_folder(folder)
