"""How much of a change to the training material is the change, and how much the draw of the generated part.

Run: `python bench/classifier_seeds.py [SEEDS]` (default 5). For each seed, the generated material
(`complaints/classify/data/generate.py`: its templated part and its real-style part) is drawn again with that seed,
a model is trained on it (`complaints.classify.train`, into a temporary folder: `model.json` is not touched), and
scored on real-dev, the private real-style set and the synthetic dev file. Prints each seed's category and intent
accuracy and the means. Run it on the material before and after a change (``git stash`` the data files) and
compare the means: one message of real-dev's 68 is 0.015, and a change that moves the committed seed alone by one
message may be the draw. The first seed is the committed one. About 12 s a seed on this machine.
"""

from __future__ import annotations

import contextlib
import io
import json
import random
import sys
import tempfile
from pathlib import Path

from complaints.classify import train
from complaints.classify.data import generate
from complaints.classify.data.styles import real_style
from complaints.classify.evaluate import evaluate
from complaints.classify.model import Classifier

ROOT = Path(__file__).resolve().parents[1]
FILES = {
    "real-dev": ROOT.parent / "shared" / "data" / "real-dev.jsonl",
    "private": ROOT / "tests" / "data" / "real_style_private.jsonl",
    "synthetic": ROOT.parent / "shared" / "data" / "complaints-dev.jsonl",
}
COMMITTED = (20261123, 20261204)  # generate.main's seeds: the templated part, the real-style part


def material(seed: int) -> list[dict[str, str]]:
    """The training rows generate.main writes, drawn with ``seed`` (the committed seeds for the first)."""
    templated, styled = COMMITTED if seed == 0 else (seed, seed + 1)
    rng = random.Random(templated)
    rows = generate.handwritten() + generate.templated(rng) + generate.mash(rng)
    rows += real_style(random.Random(styled))
    seen: set[str] = set()
    out: list[dict[str, str]] = []
    for category, intent, text in rows:
        if text not in seen:
            seen.add(text)
            out.append({"id": f"t{len(out) + 1:04d}", "text": text, "intent": intent, "category": category})
    return out


def main() -> None:
    seeds = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    scores: dict[str, list[tuple[float, float]]] = {name: [] for name in FILES if FILES[name].exists()}
    with tempfile.TemporaryDirectory() as folder:
        for seed in range(seeds):
            data, model = Path(folder) / f"train{seed}.jsonl", Path(folder) / f"model{seed}.json"
            data.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in material(seed)))
            with contextlib.redirect_stdout(io.StringIO()):
                train.main(["--train", str(data), "--out", str(model)])
            classifier = Classifier.load(model)
            line = [f"seed {seed}{' (committed)' if seed == 0 else ''}:"]
            for name in scores:
                report = evaluate(FILES[name], classifier)
                scores[name].append((report.category_accuracy, report.intent_accuracy))
                line.append(f"{name} {report.category_accuracy:.3f} / {report.intent_accuracy:.3f}")
            print("  ".join(line), flush=True)
    for name, pairs in scores.items():
        category = sum(pair[0] for pair in pairs) / len(pairs)
        intent = sum(pair[1] for pair in pairs) / len(pairs)
        print(f"mean of {len(pairs)} {name}: category {category:.3f}, intent {intent:.3f}")


if __name__ == "__main__":
    main()
