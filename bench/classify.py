"""Classifier throughput on one core and its evaluation on the dev file.

Run: `python bench/classify.py [FILE.jsonl]` (default ../shared/data/complaints-dev.jsonl). Prints the one-off
load time, messages per second classifying the file's texts over and over on one core (target ≥ 3,000),
and the evaluation report. Pin it with `taskset -c 0` for a steadier figure.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from complaints.classify.evaluate import evaluate, format_report
from complaints.classify.model import Classifier

ROOT = Path(__file__).resolve().parents[1]
DEV = ROOT.parent / "shared" / "data" / "complaints-dev.jsonl"
ROUNDS = 20


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else DEV
    texts = [json.loads(line)["text"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    started = time.perf_counter()
    classifier = Classifier.load()
    classifier.classify("预热")  # jieba builds its dictionary on first use
    loaded = time.perf_counter() - started
    started = time.perf_counter()
    for _ in range(ROUNDS):
        for text in texts:
            classifier.classify(text)
    seconds = time.perf_counter() - started
    count = ROUNDS * len(texts)
    rate = count / seconds
    print(f"load {loaded:.2f} s; {count} messages in {seconds:.2f} s = {rate:,.0f} messages/s (target ≥ 3,000)")
    print(format_report(evaluate(path, classifier)))


if __name__ == "__main__":
    main()
