"""Sparse TF-IDF vectors for training; the runtime computes the same numbers in a fused form (model.py)."""

import math

from .tokenize import features


def seen_by_intent(feature: str) -> bool:
    """Whether the intent head reads a feature: words, cues, characters and character pairs, not triples.

    Character triples mostly name the goods and the instrument; they serve the category, and in the intent head
    they tie an intent to the topics the training stories happen to share it with.
    """
    return len(feature) <= 2 or feature.startswith(("w:", "c:"))


def tfidf(text: str, idf: dict[str, float], head: str = "category") -> dict[str, float]:
    """Binary TF × IDF over the known features one head reads, L2-normalised; unknown features carry no weight.

    Binary rather than counted TF: messages are short, a repeated character rarely means more, and it lets the
    runtime skip counting.
    """
    vec = {f: idf[f] for f in set(features(text)) if f in idf and (head != "intent" or seen_by_intent(f))}
    norm = math.sqrt(sum(v * v for v in vec.values()))
    if norm == 0.0:
        return {}
    return {f: v / norm for f, v in vec.items()}
