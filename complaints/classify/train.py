"""Rebuild ``model.json`` from ``data/train.jsonl``: ``python -m complaints.classify.train [--cv]``.

Each head is a linear SVM over TF-IDF features whose decision values are turned into probabilities by a softmax
with a temperature fitted on out-of-fold decision values (5-fold CV). scikit-learn is a development dependency:
only this module imports it. The exported JSON holds the IDF table and the sparse per-class weights, and is
byte-identical on every rerun (liblinear and the CV folds run with fixed seeds, the vocabulary and classes are
sorted, weights are rounded, the dump uses sort_keys).
"""

import argparse
import hashlib
import json
import math
from collections import Counter
from pathlib import Path
from typing import Any

from .taxonomy import CATEGORIES, INTENTS
from .tokenize import DOMAIN_WORDS, features
from .vectorize import tfidf

HERE = Path(__file__).parent
TRAIN_PATH = HERE / "data" / "train.jsonl"
MODEL_PATH = HERE / "model.json"

# Bump when feature extraction changes in a way the training-data hash cannot see.
FEATURE_VERSION = 13
PARAMS: dict[str, Any] = {
    "feature_version": FEATURE_VERSION,
    "min_df": 2,
    # The intent head reads fewer features and is regularised a little more: its cues must carry over from our
    # stories to real ones, where a tighter fit to the training stories' wording does not.
    "C": {"intent": 0.6, "category": 1.0},
    "folds": 5,
    # Weights this small never change a decision; dropping them keeps model.json small and lookups fast.
    "prune": 0.002,
}


def read_rows(path: Path) -> list[dict[str, str]]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            rows.append(json.loads(line))
    return rows


def build_idf(texts: list[str], min_df: int) -> dict[str, float]:
    df: Counter[str] = Counter()
    for text in texts:
        df.update(set(features(text)))
    n = len(texts)
    return {f: math.log((1 + n) / (1 + d)) + 1.0 for f, d in sorted(df.items()) if d >= min_df}


def _matrix(texts: list[str], idf: dict[str, float], head: str) -> Any:
    from scipy.sparse import csr_matrix  # type: ignore[import-untyped]

    column = {f: i for i, f in enumerate(idf)}
    data: list[float] = []
    indices: list[int] = []
    indptr = [0]
    for text in texts:
        vec = tfidf(text, idf, head)
        for f in sorted(vec, key=column.__getitem__):
            indices.append(column[f])
            data.append(vec[f])
        indptr.append(len(indices))
    return csr_matrix((data, indices, indptr), shape=(len(texts), len(column)))


def _svm(head: str) -> Any:
    from sklearn.svm import LinearSVC  # type: ignore[import-untyped]

    return LinearSVC(C=PARAMS["C"][head], max_iter=20000, random_state=0)


def _softmax(scores: Any) -> Any:
    import numpy as np

    z = np.exp(scores - scores.max(axis=1, keepdims=True))
    return z / z.sum(axis=1, keepdims=True)


def cross_validated_scores(x: Any, y: list[int], head: str) -> Any:
    """Out-of-fold SVM decision values: what the model says about messages it was not trained on."""
    from sklearn.model_selection import StratifiedKFold, cross_val_predict  # type: ignore[import-untyped]

    folds = StratifiedKFold(n_splits=PARAMS["folds"], shuffle=True, random_state=0)
    return cross_val_predict(_svm(head), x, y, cv=folds, method="decision_function")


def fit_temperature(scores: Any, y: list[int]) -> float:
    """The factor that makes softmax(factor × SVM scores) honest probabilities (least out-of-fold log-loss)."""
    import numpy as np

    best, best_loss = 1.0, float("inf")
    for factor in np.arange(0.5, 20.01, 0.25):
        p = _softmax(scores * factor)[np.arange(len(y)), y]
        loss = float(-np.log(np.maximum(p, 1e-12)).mean())
        if loss < best_loss - 1e-9:
            best, best_loss = float(factor), loss
    return best


def fit_head(
    x: Any, labels: list[str], classes: tuple[str, ...], columns: list[str], name: str
) -> tuple[dict[str, Any], Any]:
    """Linear SVM, calibrated by temperature; returns the exported head and its out-of-fold probabilities."""
    present = [c for c in classes if c in set(labels)]
    y = [present.index(label) for label in labels]
    oof = cross_validated_scores(x, y, name)
    factor = fit_temperature(oof, y)
    model = _svm(name).fit(x, y)
    # The temperature is folded into the weights, so the runtime's plain softmax is already calibrated.
    coef, intercept = model.coef_ * factor, model.intercept_ * factor
    weights: dict[str, list[list[float]]] = {}
    for j, f in enumerate(columns):
        kept = [[i, round(float(coef[i, j]), 6)] for i in range(len(present)) if abs(coef[i, j]) >= PARAMS["prune"]]
        if kept:
            weights[f] = kept
    head = {"classes": present, "bias": [round(float(b), 6) for b in intercept], "temperature": factor}
    head["weights"] = weights
    return head, _softmax(oof * factor)


def version_of(train_path: Path) -> str:
    digest = hashlib.sha256()
    digest.update(train_path.read_bytes())
    digest.update(DOMAIN_WORDS.read_bytes())
    digest.update(json.dumps(PARAMS, sort_keys=True).encode())
    return "clf-" + digest.hexdigest()[:12]


def build(train_path: Path = TRAIN_PATH, cv_report: list[str] | None = None) -> dict[str, Any]:
    rows = read_rows(train_path)
    texts = [r["text"] for r in rows]
    idf = build_idf(texts, PARAMS["min_df"])
    heads, oof = {}, {}
    for head, classes in (("intent", INTENTS), ("category", CATEGORIES)):
        x = _matrix(texts, idf, head)
        heads[head], oof[head] = fit_head(x, [r[head] for r in rows], classes, list(idf), head)
    if cv_report is not None:
        cv_report.extend(_threshold_table(rows, heads, oof))
    return {
        "version": version_of(train_path),
        "params": PARAMS,
        "train_size": len(rows),
        # The full table: features without weights still count in a vector's norm.
        "idf": {f: round(v, 6) for f, v in idf.items()},
        "heads": heads,
    }


def _threshold_table(rows: list[dict[str, str]], heads: dict[str, Any], oof: dict[str, Any]) -> list[str]:
    """Out-of-fold accuracy of the cases kept vs the share sent to triage, for candidate thresholds."""
    right, confidence = [], []
    for k, row in enumerate(rows):
        ok = all(heads[h]["classes"][int(oof[h][k].argmax())] == row[h] for h in heads)
        right.append(ok)
        confidence.append(min(float(oof[h][k].max()) for h in heads))
    lines = [f"{len(rows)} examples, {PARAMS['folds']}-fold CV; both labels right: {sum(right) / len(rows):.3f}"]
    lines.append("threshold  triaged  accuracy of the rest  errors caught")
    for t in (0.3, 0.4, 0.5, 0.6, 0.7):
        kept = [r for r, c in zip(right, confidence, strict=True) if c >= t]
        caught = sum(1 for r, c in zip(right, confidence, strict=True) if c < t and not r)
        wrong = right.count(False) or 1
        share = 1 - len(kept) / len(rows)
        acc = sum(kept) / len(kept) if kept else 0.0
        lines.append(f"{t:9.2f}  {share:7.1%}  {acc:20.3f}  {caught / wrong:13.1%}")
    return lines


def dump(model: dict[str, Any], out: Path) -> None:
    out.write_text(json.dumps(model, ensure_ascii=False, sort_keys=True, separators=(",", ":")) + "\n", "utf-8")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--train", type=Path, default=TRAIN_PATH)
    parser.add_argument("--out", type=Path, default=MODEL_PATH)
    parser.add_argument("--cv", action="store_true", help="also print the triage-threshold table from CV")
    args = parser.parse_args(argv)
    report: list[str] = []
    dump(build(args.train, report), args.out)
    print(f"wrote {args.out}")
    if args.cv:
        print("\n".join(report))


if __name__ == "__main__":
    main()
