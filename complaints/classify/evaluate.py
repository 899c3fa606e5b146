"""Evaluation on labelled JSON Lines, and the JSON Lines classifier behind ``fairweigh classify``."""

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from .model import Classifier
from .taxonomy import CATEGORIES


@dataclass(frozen=True)
class CategoryScore:
    category: str
    precision: float
    recall: float
    f1: float
    support: int


@dataclass(frozen=True)
class EvaluationReport:
    size: int
    version: str
    per_category: tuple[CategoryScore, ...]
    macro_f1: float
    intent_accuracy: float
    category_accuracy: float
    triage_share: float
    # Among the messages not sent to triage, i.e. those whose reading is trusted without a person
    kept: int
    kept_category_accuracy: float
    kept_intent_accuracy: float
    # (true, predicted, count), most frequent first; category pairs, then intent pairs
    category_confusions: tuple[tuple[str, str, int], ...]
    intent_confusions: tuple[tuple[str, str, int], ...]


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


def score(rows: list[tuple[str, str, str, str, bool]], version: str) -> EvaluationReport:
    """Rows are (true intent, true category, predicted intent, predicted category, needs triage)."""
    n = len(rows)
    per_category = []
    for cat in CATEGORIES:
        tp = sum(1 for r in rows if r[1] == cat and r[3] == cat)
        predicted = sum(1 for r in rows if r[3] == cat)
        actual = sum(1 for r in rows if r[1] == cat)
        if not predicted and not actual:
            continue
        p = tp / predicted if predicted else 0.0
        rec = tp / actual if actual else 0.0
        per_category.append(CategoryScore(cat, p, rec, _f1(p, rec), actual))
    kept = [r for r in rows if not r[4]]
    cat_conf = Counter((r[1], r[3]) for r in rows if r[1] != r[3])
    int_conf = Counter((r[0], r[2]) for r in rows if r[0] != r[2])
    return EvaluationReport(
        size=n,
        version=version,
        per_category=tuple(per_category),
        macro_f1=sum(c.f1 for c in per_category) / len(per_category) if per_category else 0.0,
        intent_accuracy=sum(r[0] == r[2] for r in rows) / n if n else 0.0,
        category_accuracy=sum(r[1] == r[3] for r in rows) / n if n else 0.0,
        triage_share=sum(r[4] for r in rows) / n if n else 0.0,
        kept=len(kept),
        kept_category_accuracy=sum(r[1] == r[3] for r in kept) / len(kept) if kept else 0.0,
        kept_intent_accuracy=sum(r[0] == r[2] for r in kept) / len(kept) if kept else 0.0,
        category_confusions=tuple((a, b, c) for (a, b), c in sorted(cat_conf.items(), key=lambda x: (-x[1], x[0]))),
        intent_confusions=tuple((a, b, c) for (a, b), c in sorted(int_conf.items(), key=lambda x: (-x[1], x[0]))),
    )


def evaluate(path: Path | str, classifier: Classifier | None = None) -> EvaluationReport:
    clf = classifier or Classifier.load()
    rows = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        item = json.loads(line)
        got = clf.classify(item["text"])
        rows.append((item["intent"], item["category"], got.intent, got.category, got.needs_triage))
    return score(rows, clf.version)


def format_report(report: EvaluationReport, top: int = 10) -> str:
    lines = [
        f"model {report.version} on {report.size} messages",
        "",
        f"{'category':<26}{'precision':>10}{'recall':>10}{'F1':>8}{'support':>9}",
    ]
    for c in report.per_category:
        lines.append(f"{c.category:<26}{c.precision:>10.3f}{c.recall:>10.3f}{c.f1:>8.3f}{c.support:>9}")
    lines += [
        "",
        f"category macro-F1   {report.macro_f1:.3f}",
        f"category accuracy   {report.category_accuracy:.3f}",
        f"intent accuracy     {report.intent_accuracy:.3f}",
        f"sent to triage      {report.triage_share:.1%}",
        f"not sent to triage  {report.kept} of {report.size}: category accuracy {report.kept_category_accuracy:.3f}, "
        f"intent accuracy {report.kept_intent_accuracy:.3f}",
        "",
        "most frequent confusions (true → predicted, count):",
    ]
    pairs = [("category", *c) for c in report.category_confusions[:top]]
    pairs += [("intent", *c) for c in report.intent_confusions[:top]]
    lines += [f"  {kind:<9}{a} → {b}: {n}" for kind, a, b, n in pairs] or ["  none"]
    return "\n".join(lines)


def _classify_line(clf: Classifier, line: str) -> dict[str, Any]:
    try:
        item = json.loads(line)
    except json.JSONDecodeError as exc:
        return {"id": None, "error": f"invalid JSON: {exc.msg} at column {exc.colno}"}
    if not isinstance(item, dict):
        return {"id": None, "error": "each line must be a JSON object with 'id' and 'text'"}
    ident = item.get("id")
    text = item.get("text")
    if not isinstance(text, str):
        what = "missing" if text is None else f"not a string ({type(text).__name__})"
        return {"id": ident, "error": f"'text' is {what}"}
    if not text.strip():
        return {"id": ident, "error": "'text' is blank"}
    got = clf.classify(text)
    return {
        "id": ident,
        "intent": got.intent,
        "category": got.category,
        "confidence": got.confidence,
        "needs_triage": got.needs_triage,
    }


def classify_lines(stdin: IO[str], stdout: IO[str], classifier: Classifier | None = None) -> int:
    """Classify JSON Lines from ``stdin`` to ``stdout``; a bad line yields an error object, not a stop.

    Returns the number of lines answered with an error (a CLI may turn a non-zero count into its exit status).
    """
    clf = classifier or Classifier.load()
    errors = 0
    for line in stdin:
        if not line.strip():
            continue
        out = _classify_line(clf, line)
        errors += "error" in out
        stdout.write(json.dumps(out, ensure_ascii=False) + "\n")
        stdout.flush()
    return errors
