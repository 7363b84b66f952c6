"""Lexical scores without a model: SQuAD-style token F1 and BLEU-1 (clipped unigram precision x brevity penalty)."""

import math
import re
import string
from collections import Counter

_ARTICLES = re.compile(r"\b(a|an|the|and)\b")
_PUNCT = str.maketrans(dict.fromkeys(string.punctuation, " "))


def tokens(text: str) -> list[str]:
    """Lower case, punctuation and articles removed (as LoCoMo's own evaluation does), split on white space."""
    return _ARTICLES.sub(" ", text.lower().translate(_PUNCT)).split()


def f1(prediction: str, gold: str) -> float:
    pred, ref = tokens(prediction), tokens(gold)
    if not pred or not ref:
        return float(pred == ref)
    common = sum((Counter(pred) & Counter(ref)).values())
    if common == 0:
        return 0.0
    precision, recall = common / len(pred), common / len(ref)
    return 2 * precision * recall / (precision + recall)


def bleu1(prediction: str, gold: str) -> float:
    pred, ref = tokens(prediction), tokens(gold)
    if not pred or not ref:
        return float(pred == ref)
    clipped = sum((Counter(pred) & Counter(ref)).values())
    brevity = 1.0 if len(pred) > len(ref) else math.exp(1 - len(ref) / len(pred))
    return brevity * clipped / len(pred)
