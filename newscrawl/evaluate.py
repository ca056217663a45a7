"""Extraction quality on a folder of pages with ground truth: `newscrawl eval DIR`.

A folder holds `html/<id>.html` and either `ground-truth.json` mapping each id to
an object with the expected `articleBody`, or `judgments.json` mapping each id to
snippets the text should hold (`with`) and should not (`without`). newscrawl
(extraction and cleaning) and plain trafilatura (default settings, no comments)
are scored side by side with:

- shingle P/R/F1: the article-extraction benchmark's way of scoring. Texts become
  multisets of 4-token shingles; precision and recall are computed per page and
  averaged over pages (a page with an empty prediction counts in recall only);
  F1 is taken of the two means.
- token P/R/F1: the same over single tokens (bags of words), F1 averaged per page.
- snippet P/R/F1 (a folder with judgments): each `with` snippet found in the text
  (whitespace squeezed) is a true positive, each missing one a false negative, each
  `without` snippet found a false positive; counts are pooled over the folder.

`--rules` adds what each cleaning rule dropped (see `rule_report`).
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import trafilatura

from newscrawl.batch import PageResult, SourcePage, extract_pages
from newscrawl.cleaning import split_paragraphs
from newscrawl.config import NewscrawlConfig

__all__ = [
    "EvaluationError",
    "RuleDrops",
    "Scores",
    "evaluate_folder",
    "format_rules",
    "format_table",
    "rule_report",
    "score_pages",
    "score_snippets",
]

SHINGLE_SIZE = 4
_TOKEN = re.compile(r"\w+")
# The rule a page's whole text is charged to when the page is dropped after cleaning.
_PAGE_DROPPED = "page:"


class EvaluationError(ValueError):
    """The folder is not in the expected layout."""


@dataclass(frozen=True)
class Scores:
    folder: str
    extractor: str
    pages: int
    shingle_p: float  # for a folder with judgments: snippet P, R and F1
    shingle_r: float
    shingle_f1: float
    token_p: float | None  # None for a folder with judgments
    token_r: float | None
    token_f1: float | None
    metric: str = "shingle"  # or "snippet"


@dataclass(frozen=True)
class RuleDrops:
    """What one cleaning rule dropped over a folder, and how much of it was wanted.

    With a ground truth, `wanted_words` counts the dropped words that the ground
    truth holds and the kept text does not already cover (so the second copy of a
    repeated paragraph is not wanted, unless the ground truth has it twice). With
    judgments, `snippets_lost` counts the `with` snippets a drop of this rule took
    out of the text, and `snippets_removed` the `without` snippets it took out."""

    folder: str
    rule: str  # "link_list", "fragment:caption", ..., "page:too_short"
    paragraphs: int
    words: int
    wanted_words: int | None = None
    snippets_lost: int | None = None
    snippets_removed: int | None = None

    @property
    def wanted_share(self) -> float | None:
        """The share of the drops that were wanted text (None: nothing to judge by)."""
        if self.wanted_words is not None:
            return self.wanted_words / self.words if self.words else None
        judged = (self.snippets_lost or 0) + (self.snippets_removed or 0)
        return (self.snippets_lost or 0) / judged if judged else None


@dataclass(frozen=True)
class _Folder:
    ids: list[str]
    pages: list[Path]
    bodies: list[str] | None  # ground truth, or None for judgments
    judgments: list[dict[str, list[str]]] | None


def _tokens(text: str) -> list[str]:
    return _TOKEN.findall(text)


def _shingles(text: str, size: int) -> Counter[tuple[str, ...]]:
    tokens = _tokens(text)
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


def score_pages(
    truths: Sequence[str], predictions: Sequence[str]
) -> tuple[float, float, float, float, float, float]:
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


def _squeeze(text: str) -> str:
    return " ".join(text.split())


def score_snippets(
    judgments: Sequence[dict[str, list[str]]], predictions: Sequence[str]
) -> tuple[float, float, float]:
    """(snippet P, R, F1) of `predictions`, counts pooled over the pages."""
    found = missed = unwanted = 0
    for judged, predicted in zip(judgments, predictions, strict=True):
        text = _squeeze(predicted)
        hits = [_squeeze(snippet) in text for snippet in judged["with"]]
        found += sum(hits)
        missed += len(hits) - sum(hits)
        unwanted += sum(_squeeze(snippet) in text for snippet in judged["without"])
    precision = found / (found + unwanted) if found + unwanted else 0.0
    recall = found / (found + missed) if found + missed else 0.0
    return precision, recall, _f1(precision, recall)


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise EvaluationError(f"{path}: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise EvaluationError(f"{path}: {exc}") from None


def _load(folder: Path) -> _Folder:
    if not folder.is_dir():
        raise EvaluationError(f"{folder}: not a folder")
    judged = (folder / "judgments.json").is_file()
    truth_file = folder / ("judgments.json" if judged else "ground-truth.json")
    if not truth_file.exists():
        # open()'s words repeated the path: "x/ground-truth.json: [Errno 2] No such
        # file or directory: 'x/ground-truth.json'", and named only one of the two.
        raise EvaluationError(
            f"{folder}: neither ground-truth.json nor judgments.json (and html/<id>.html)"
        )
    truth = _read_json(truth_file)
    if not isinstance(truth, dict) or not truth:
        expected = "{with, without}" if judged else "{articleBody}"
        raise EvaluationError(f"{truth_file}: expected an object of page id -> {expected}")
    odd = next((i for i, entry in truth.items() if not isinstance(entry, dict | None)), None)
    if odd is not None:
        expected = "{with, without}" if judged else "{articleBody}"
        raise EvaluationError(
            f"{truth_file}: page {odd!r}: expected an object {expected}, not"
            f" {type(truth[odd]).__name__}"
        )
    ids = sorted(truth)
    pages = [folder / "html" / f"{page_id}.html" for page_id in ids]
    missing = [str(p) for p in pages if not p.is_file()]
    if missing:
        raise EvaluationError(f"{len(missing)} page(s) missing, e.g. {missing[0]}")
    if judged:
        judgments = [
            {
                kind: [str(s) for s in (truth[i] or {}).get(kind) or []]
                for kind in ("with", "without")
            }
            for i in ids
        ]
        return _Folder(ids, pages, None, judgments)
    bodies = [str((truth[i] or {}).get("articleBody") or "") for i in ids]
    return _Folder(ids, pages, bodies, None)


def _rule_name(rule: str, detail: str) -> str:
    return f"{rule}:{detail}" if detail else rule


def _drops_of(result: PageResult) -> list[tuple[str, int, str]]:
    """(rule, index, paragraph) for every paragraph cleaning took from the page's
    raw text (indices into its paragraphs), the kept ones included when the whole
    page was then dropped."""
    drops = [(_rule_name(d.rule, d.detail), d.index, d.text) for d in result.dropped]
    if result.article is not None and result.reason is not None and result.article.text:
        taken = {d.index for d in result.dropped}
        rule = _PAGE_DROPPED + result.reason
        drops += [
            (rule, index, paragraph)
            for index, paragraph in enumerate(split_paragraphs(result.article.raw_text))
            if index not in taken
        ]
    return drops


def _wanted_words(
    drops: list[tuple[str, int, str]], truth: str, kept: str
) -> list[tuple[str, int, int]]:
    """(rule, words, wanted words) of each drop, against the ground truth `truth`
    less what the `kept` text already covers."""
    remaining = _shingles(truth, SHINGLE_SIZE) - _shingles(kept, SHINGLE_SIZE)
    truth_key = " " + " ".join(_tokens(truth)) + " "
    rows = []
    for rule, _, paragraph in sorted(drops, key=lambda drop: drop[1]):
        tokens = _tokens(paragraph)
        wanted = [False] * len(tokens)
        if 0 < len(tokens) < SHINGLE_SIZE:
            wanted = [" " + " ".join(tokens) + " " in truth_key] * len(tokens)
        for start in range(len(tokens) - SHINGLE_SIZE + 1):
            shingle = tuple(tokens[start : start + SHINGLE_SIZE])
            if remaining[shingle] > 0:
                remaining[shingle] -= 1
                wanted[start : start + SHINGLE_SIZE] = [True] * SHINGLE_SIZE
        rows.append((rule, len(tokens), sum(wanted)))
    return rows


def _snippets_taken(
    drops: list[tuple[str, int, str]], raw_text: str, kept: str, judged: dict[str, list[str]]
) -> list[tuple[str, int, int]]:
    """(rule, `with` snippets lost, `without` snippets removed) for each rule whose
    drops overlap a snippet that the raw text held and the kept text no longer does."""
    spans: list[tuple[int, int]] = []
    start = 0
    squeezed_paragraphs = [_squeeze(p) for p in split_paragraphs(raw_text)]
    for paragraph in squeezed_paragraphs:
        spans.append((start, start + len(paragraph)))
        start += len(paragraph) + 1
    raw = " ".join(squeezed_paragraphs)
    out = _squeeze(kept)
    rows: list[tuple[str, int, int]] = []
    for kind in ("with", "without"):
        for snippet in judged[kind]:
            squeezed = _squeeze(snippet)
            at = raw.find(squeezed)
            if at < 0 or squeezed in out:
                continue
            end = at + len(squeezed)
            blamed = {
                rule for rule, index, _ in drops if spans[index][0] < end and spans[index][1] > at
            }
            rows += [(rule, int(kind == "with"), int(kind == "without")) for rule in blamed]
    return rows


def rule_report(folder: Path, data: _Folder, results: Sequence[PageResult]) -> list[RuleDrops]:
    """Per cleaning rule (fragments by class): paragraphs and words it dropped over
    the folder, and how much of that the ground truth (or the judgments) wanted."""
    paragraphs: Counter[str] = Counter()
    words: Counter[str] = Counter()
    wanted: Counter[str] = Counter()
    lost: Counter[str] = Counter()
    removed: Counter[str] = Counter()
    for page, result in enumerate(results):
        if result.article is None:
            continue
        drops = _drops_of(result)
        kept = result.article.text if result.reason is None else ""
        for rule, _, paragraph in drops:
            paragraphs[rule] += 1
            words[rule] += len(_tokens(paragraph))
        if data.bodies is not None:
            for rule, _, count in _wanted_words(drops, data.bodies[page], kept):
                wanted[rule] += count
        elif data.judgments is not None:
            taken = _snippets_taken(drops, result.article.raw_text, kept, data.judgments[page])
            for rule, with_count, without_count in taken:
                lost[rule] += with_count
                removed[rule] += without_count
    judged = data.bodies is None
    return [
        RuleDrops(
            str(folder),
            rule,
            paragraphs[rule],
            words[rule],
            None if judged else wanted[rule],
            lost[rule] if judged else None,
            removed[rule] if judged else None,
        )
        for rule in sorted(paragraphs, key=lambda r: (-words[r], r))
    ]


def evaluate_folder(
    folder: Path, rules: bool = False, config: NewscrawlConfig | None = None
) -> tuple[list[Scores], list[RuleDrops]]:
    """Score newscrawl and plain trafilatura on `folder`; with `rules`, also report
    what each cleaning rule dropped there."""
    data = _load(folder)
    sources = [SourcePage(str(p), p.read_bytes(), "") for p in data.pages]
    results = extract_pages(sources, config or NewscrawlConfig())
    ours = [r.article.text if r.article is not None and r.reason is None else "" for r in results]
    plain = [trafilatura.extract(s.html, include_comments=False) or "" for s in sources]
    scores = []
    for name, predictions in (("newscrawl", ours), ("trafilatura", plain)):
        if data.judgments is not None:
            p, r, f1 = score_snippets(data.judgments, predictions)
            scores.append(
                Scores(str(folder), name, len(data.pages), p, r, f1, None, None, None, "snippet")
            )
        elif data.bodies is not None:
            scores.append(
                Scores(str(folder), name, len(data.pages), *score_pages(data.bodies, predictions))
            )
    return scores, rule_report(folder, data, results) if rules else []


def _short(folder: str) -> str:
    return folder if len(folder) <= 24 else "…" + folder[-23:]


def _figure(value: float | None, width: int) -> str:
    return f"{value:{width}.4f}" if value is not None else f"{'-':>{width}}"


def format_table(rows: Sequence[Scores]) -> str:
    header = (
        f"{'folder':24} {'extractor':11} {'pages':>5}  {'shingle P':>9} {'R':>6} {'F1':>6}"
        f"  {'token P':>7} {'R':>6} {'F1':>6}"
    )
    lines = [header]
    for s in rows:
        snippet = " (snippets)" if s.metric == "snippet" else ""
        lines.append(
            f"{_short(s.folder):24} {s.extractor:11} {s.pages:5}  {s.shingle_p:9.4f} {s.shingle_r:6.4f}"
            f" {s.shingle_f1:6.4f}  {_figure(s.token_p, 7)} {_figure(s.token_r, 6)}"
            f" {_figure(s.token_f1, 6)}{snippet}"
        )
    return "\n".join(lines)


def format_rules(rows: Sequence[RuleDrops]) -> str:
    """The per-rule report: one block per folder, rules by words dropped."""
    by_folder: dict[str, list[RuleDrops]] = defaultdict(list)
    for row in rows:
        by_folder[row.folder].append(row)
    lines = []
    for folder, folder_rows in by_folder.items():
        lines.append(
            f"{_short(folder):24} {'rule':28} {'paras':>6} {'words':>7} {'wanted':>7}"
            f" {'lost':>5} {'removed':>7} {'wanted %':>8}"
        )
        for r in folder_rows:
            share = r.wanted_share
            lines.append(
                f"{'':24} {r.rule:28} {r.paragraphs:6} {r.words:7}"
                f" {'-' if r.wanted_words is None else r.wanted_words:>7}"
                f" {'-' if r.snippets_lost is None else r.snippets_lost:>5}"
                f" {'-' if r.snippets_removed is None else r.snippets_removed:>7}"
                f" {'-' if share is None else f'{100 * share:.0f}%':>8}"
            )
    return "\n".join(lines)
