"""Sparse TF-IDF vectors for training; the runtime computes the same numbers in a fused form (model.py)."""

import math

from .tokenize import features


def tfidf(text: str, idf: dict[str, float]) -> dict[str, float]:
    """Binary TF × IDF over known features, L2-normalised; unknown features carry no weight.

    Binary rather than counted TF: messages are short, a repeated character rarely means more, and it lets the
    runtime skip counting.
    """
    vec = {f: idf[f] for f in set(features(text)) if f in idf}
    norm = math.sqrt(sum(v * v for v in vec.values()))
    if norm == 0.0:
        return {}
    return {f: v / norm for f, v in vec.items()}
