"""Runtime classifier: pure-Python inference over the exported ``model.json`` (no numpy, no scikit-learn).

Confidence is the *minimum* of the two heads' softmax probabilities: a case is only as routable as its weaker
label, since a wrong intent sets the wrong deadline and a wrong category the wrong queue. Below
``TRIAGE_THRESHOLD`` the case is marked for a person to triage instead of trusting the guess.
"""

import json
import math
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .cues import cue_features, presumed_complaint_by
from .tokenize import normalize, normalized_features
from .vectorize import seen_by_intent

MODEL_PATH = Path(__file__).with_name("model.json")

# Chosen from the out-of-fold table ``python -m complaints.classify.train --cv`` prints (2,151 examples): at 0.7
# about 7 % of cases go to triage, they hold ~56 % of the errors, and the rest are ~97 % right on both labels.
# CV on our own data is optimistic (templated examples share stories across folds); on 130 held-out shopper
# messages 0.7 sent 13 % to triage and caught 11 of 17 errors, where 0.5 caught 3. Hence 0.7 rather than 0.5:
# a person reading about one case in ten is cheaper than a complaint waiting in the wrong queue.
TRIAGE_THRESHOLD = 0.7

# Taxonomy rules decided without the model, with full confidence. Greetings and near-empty texts are other +
# inquiry: a text with no letter or CJK character ("", "？？？", "。。") carries nothing for the model to weigh, and
# greetings alone ("你好", "在吗？", "hello") carry no matter. Emoji alone ("👍👍", "😡") are a comment, as
# spam and keyboard mash are: other + feedback.
_CONTENT = re.compile(r"[a-z0-9\u4e00-\u9fff]")
_GREETING = re.compile(
    r"(?:(?:你好|您好|大家好|在吗|在不在|有人吗|有人在吗|有没有人|请问|喂|哈喽|嗨|hello|hi|hey|早上好|上午好|中午好|下午好|晚上好"
    r"|打扰了|打扰一下|工作人员|客服|同志|老师|亲)[\s,.!?。~…、]*)+"
)


@dataclass(frozen=True)
class Classification:
    intent: str
    category: str
    confidence: float
    intent_confidence: float
    category_confidence: float
    needs_triage: bool
    version: str


class _Heads:
    """Both heads fused into one pass. Each known feature maps to its squared IDF (twice: for the category head's
    norm and, if the intent head reads it, for the intent head's) and one dense row of IDF-scaled weights for every
    class of both heads; a message's scores are the column sums of its features' rows (summed in C by
    ``zip``/``sum``, which is what makes pure Python fast enough), each head's divided by its TF-IDF vector's norm,
    which equals scoring the L2-normalised vectors as in training."""

    def __init__(self, spec: dict[str, Any]) -> None:
        intent, category = spec["heads"]["intent"], spec["heads"]["category"]
        self.intents: list[str] = list(intent["classes"])
        self.categories: list[str] = list(category["classes"])
        offset = len(self.intents)
        width = offset + len(self.categories)
        self.bias: list[float] = [float(b) for b in intent["bias"] + category["bias"]]
        # feature → (idf², idf² if the intent head reads it else 0, row); the idf² sum to the squared norms
        self.table: dict[str, tuple[float, float, tuple[float, ...]]] = {}
        for f, idf in spec["idf"].items():
            row = [0.0] * width
            for head, shift in ((intent, 0), (category, offset)):
                for i, w in head["weights"].get(f, ()):
                    row[int(i) + shift] = float(w) * float(idf)
            square = float(idf) ** 2
            self.table[f] = (square, square if seen_by_intent(f) else 0.0, tuple(row))

    def scores(self, feats: list[str]) -> list[float]:
        get = self.table.get
        entries = [e for f in set(feats) if (e := get(f)) is not None]
        if not entries:
            return list(self.bias)
        scale = 1.0 / math.sqrt(sum(e[0] for e in entries))
        intent_norm = sum(e[1] for e in entries)
        intent_scale = 1.0 / math.sqrt(intent_norm) if intent_norm else 0.0
        # Every row has one weight per class by construction; the strict check costs ~15 % of scoring.
        sums = list(map(sum, zip(*[e[2] for e in entries], strict=False)))
        n = len(self.intents)
        bias = self.bias
        return [bias[i] + sums[i] * (intent_scale if i < n else scale) for i in range(len(bias))]


def _softmax_top(scores: list[float], classes: list[str]) -> tuple[str, float]:
    top = max(scores)
    total = sum(math.exp(s - top) for s in scores)
    return classes[scores.index(top)], 1.0 / total


class Classifier:
    def __init__(self, spec: dict[str, Any]) -> None:
        self.version: str = spec["version"]
        self._heads = _Heads(spec)

    @classmethod
    def load(cls, path: Path = MODEL_PATH) -> "Classifier":
        """Read the model (and, on first use, jieba's dictionary): call once per process, off the event loop."""
        from .tokenize import load as load_tokenizer

        load_tokenizer()
        return cls(json.loads(path.read_text(encoding="utf-8")))

    def classify(self, text: str) -> Classification:
        norm = normalize(text)
        if not _CONTENT.search(norm):
            intent = "feedback" if any(unicodedata.category(ch) == "So" for ch in norm) else "inquiry"
            return Classification(intent, "other", 1.0, 1.0, 1.0, False, self.version)
        if _GREETING.fullmatch(norm):
            return Classification("inquiry", "other", 1.0, 1.0, 1.0, False, self.version)
        heads = self._heads
        cues = cue_features(norm)
        scores = heads.scores(normalized_features(norm, cues))
        n = len(heads.intents)
        intent, p_intent = _softmax_top(scores[:n], heads.intents)
        category, p_category = _softmax_top(scores[n:], heads.categories)
        # Taxonomy rule: a reporter's or clerk's wording keeps the consumer's own intent (投诉 or 举报).
        if "c:told_report" in cues:
            intent, p_intent = "report", 1.0
        elif "c:told_complaint" in cues:
            intent, p_intent = "complaint", 1.0
        elif presumed_complaint_by(cues):
            # Taxonomy rules: a remedy sought and refused, or one's own loss met with a rhetorical question.
            intent, p_intent = "complaint", 1.0
        confidence = min(p_intent, p_category)
        return Classification(
            intent=intent,
            category=category,
            confidence=round(confidence, 4),
            intent_confidence=round(p_intent, 4),
            category_confidence=round(p_category, 4),
            needs_triage=confidence < TRIAGE_THRESHOLD,
            version=self.version,
        )
