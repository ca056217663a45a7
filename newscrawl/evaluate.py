"""Extraction quality on a folder of pages with ground truth: `newscrawl eval DIR`.

A folder holds `html/<id>.html` and `ground-truth.json` mapping each id to an
object with the expected `articleBody`. newscrawl (extraction and cleaning) and
plain trafilatura (default settings, no comments) are scored side by side with:

- shingle P/R/F1: the article-extraction benchmark's way of scoring. Texts become
  multisets of 4-token shingles; precision and recall are computed per page and
  averaged over pages (a page with an empty prediction counts in recall only);
  F1 is taken of the two means.
- token P/R/F1: the same over single tokens (bags of words), F1 averaged per page.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import trafilatura

from newscrawl.batch import SourcePage, extract_pages
from newscrawl.config import NewscrawlConfig

__all__ = ["EvaluationError", "Scores", "evaluate_folder", "format_table", "score_pages"]

SHINGLE_SIZE = 4
_TOKEN = re.compile(r"\w+")


class EvaluationError(ValueError):
    """The folder is not in the expected layout."""


@dataclass(frozen=True)
class Scores:
    folder: str
    extractor: str
    pages: int
    shingle_p: float
    shingle_r: float
    shingle_f1: float
    token_p: float
    token_r: float
    token_f1: float


def _shingles(text: str, size: int) -> Counter[tuple[str, ...]]:
    tokens = _TOKEN.findall(text)
    if len(tokens) < size:
        return Counter([tuple(tokens)]) if tokens else Counter()
    return Counter(tuple(tokens[i : i + size]) for i in range(len(tokens) - size + 1))


def _overlap(
    truth: Counter[tuple[str, ...]], predicted: Counter[tuple[str, ...]]
) -> tuple[float, float]:
    common = sum((truth & predicted).values())
    precision = common / sum(predicted.values()) if predicted else 0.0
    recall = common / sum(truth.values()) if truth else 1.0
    return precision, recall


def _f1(precision: float, recall: float) -> float:
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def score_pages(truths: Sequence[str], predictions: Sequence[str]) -> tuple[float, ...]:
    """(shingle P, R, F1, token P, R, F1) of `predictions` against `truths`."""
    shingle_p: list[float] = []
    shingle_r: list[float] = []
    token_p: list[float] = []
    token_r: list[float] = []
    token_f: list[float] = []
    for truth, predicted in zip(truths, predictions, strict=True):
        p, r = _overlap(_shingles(truth, SHINGLE_SIZE), _shingles(predicted, SHINGLE_SIZE))
        if predicted.strip():
            shingle_p.append(p)
        shingle_r.append(r)
        p, r = _overlap(_shingles(truth, 1), _shingles(predicted, 1))
        token_p.append(p)
        token_r.append(r)
        token_f.append(_f1(p, r))
    mean_p = sum(shingle_p) / len(shingle_p) if shingle_p else 0.0
    mean_r = sum(shingle_r) / len(shingle_r) if shingle_r else 0.0
    count = len(token_f) or 1
    return (
        mean_p,
        mean_r,
        _f1(mean_p, mean_r),
        sum(token_p) / count,
        sum(token_r) / count,
        sum(token_f) / count,
    )


def _load(folder: Path) -> tuple[list[str], list[str], list[Path]]:
    truth_file = folder / "ground-truth.json"
    try:
        truth = json.loads(truth_file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise EvaluationError(f"{truth_file}: {exc}") from None
    if not isinstance(truth, dict) or not truth:
        raise EvaluationError(f"{truth_file}: expected an object of page id -> {{articleBody}}")
    ids = sorted(truth)
    pages = [folder / "html" / f"{page_id}.html" for page_id in ids]
    missing = [str(p) for p in pages if not p.is_file()]
    if missing:
        raise EvaluationError(f"{len(missing)} page(s) missing, e.g. {missing[0]}")
    bodies = [str((truth[i] or {}).get("articleBody") or "") for i in ids]
    return ids, bodies, pages


def evaluate_folder(folder: Path) -> list[Scores]:
    """Score newscrawl and plain trafilatura on `folder`."""
    _, bodies, pages = _load(folder)
    sources = [SourcePage(str(p), p.read_bytes(), "") for p in pages]
    results = extract_pages(sources, NewscrawlConfig())
    ours = [r.article.text if r.article is not None and r.reason is None else "" for r in results]
    plain = [trafilatura.extract(s.html, include_comments=False) or "" for s in sources]
    return [
        Scores(str(folder), name, len(pages), *score_pages(bodies, predictions))
        for name, predictions in (("newscrawl", ours), ("trafilatura", plain))
    ]


def format_table(rows: Sequence[Scores]) -> str:
    header = (
        f"{'folder':24} {'extractor':11} {'pages':>5}  {'shingle P':>9} {'R':>6} {'F1':>6}"
        f"  {'token P':>7} {'R':>6} {'F1':>6}"
    )
    lines = [header]
    for s in rows:
        name = s.folder if len(s.folder) <= 24 else "…" + s.folder[-23:]
        lines.append(
            f"{name:24} {s.extractor:11} {s.pages:5}  {s.shingle_p:9.4f} {s.shingle_r:6.4f}"
            f" {s.shingle_f1:6.4f}  {s.token_p:7.4f} {s.token_r:6.4f} {s.token_f1:6.4f}"
        )
    return "\n".join(lines)
