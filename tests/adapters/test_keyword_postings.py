"""ScopePostings on its own: BM25 against a plain-Python formula, tokens with no or several stems, changes,
compaction and files."""

import math
import random
from pathlib import Path

import pytest

from mnemoscope.adapters.local.keyword_postings import K1, TAG_TOKENS, B, ScopePostings

# A stand-in stemmer: "drop" indexes as nothing, "pair" as two terms, anything else as itself minus a trailing "s".
SPECIAL = {"drop": (), "pair": ("pa", "ir")}


def stem(tokens: list[str]) -> list[tuple[str, ...]]:
    return [SPECIAL.get(t, (t.removesuffix("s"),)) for t in tokens]


def _terms(body: str) -> list[str]:
    return [term for token in body.split() for term in stem([token])[0]]


def reference(docs: dict[int, str], phrases: list[tuple[str, float]], avgdl: float) -> dict[int, float]:
    out: dict[int, float] = {}
    for pk, body in docs.items():
        terms = _terms(body)
        length = len(terms) + TAG_TOKENS
        score, hit = 0.0, False
        for term, idf in phrases:
            tf = terms.count(term)
            hit = hit or tf > 0
            score += idf * (tf * (K1 + 1.0)) / (tf + K1 * (1.0 - B + B * length / avgdl))
        if hit:
            out[pk] = score
    return out


def _random_docs(rng: random.Random, count: int, first_pk: int = 1) -> dict[int, str]:
    words = ["tea", "teas", "cat", "cats", "drop", "pair", "pa", "ir", "杭州", "run"]
    return {first_pk + i: " ".join(rng.choice(words) for _ in range(rng.randint(0, 8))) for i in range(count)}


def _check(postings: ScopePostings, docs: dict[int, str]) -> None:
    phrases = [("tea", 0.7), ("pa", 1.3), ("杭州", 2.0), ("cat", 0.01), ("tea", 0.7)]  # a repeated phrase counts twice
    avgdl = 4.5
    expected = reference(docs, phrases, avgdl)
    got = postings.top(phrases, avgdl, len(docs) + 5)
    assert {pk for pk, _ in got} == set(expected)
    for pk, score in got:
        assert score == pytest.approx(expected[pk], rel=1e-12)
    scores = [s for _, s in got]
    assert scores == sorted(scores, reverse=True)
    best = postings.top(phrases, avgdl, 3)
    assert [s for _, s in best] == scores[:3]


def test_build_scores_every_row_like_the_formula() -> None:
    docs = _random_docs(random.Random(1), 200)
    postings = ScopePostings.build(list(docs), list(docs.values()), stem)
    _check(postings, docs)
    assert postings.lengths.tolist() == [len(_terms(b)) + TAG_TOKENS for b in docs.values()]


def test_changes_then_compaction_keep_the_scores() -> None:
    rng = random.Random(2)
    docs = _random_docs(rng, 100)
    postings = ScopePostings.build(list(docs), list(docs.values()), stem)
    for round_ in range(3):
        changed = _random_docs(rng, 30, first_pk=1 + 20 * round_)  # rewrites some rows, adds new pks
        removed = rng.sample(sorted(docs), 5)
        postings.remove([*changed, *removed])
        for pk in removed:
            docs.pop(pk, None)
        postings.add([(pk, _terms(body)) for pk, body in changed.items()])
        docs.update(changed)
        _check(postings, docs)
    assert postings.wasted_rows > 0
    compact = postings.compacted()
    assert compact.wasted_rows == 0 and compact.live_rows == len(docs)
    _check(compact, docs)


def test_a_saved_index_loads_with_the_same_scores(tmp_path: Path) -> None:
    docs = _random_docs(random.Random(3), 50)
    ScopePostings.build(list(docs), list(docs.values()), stem).save(tmp_path / "k.npz")
    loaded = ScopePostings.load(tmp_path / "k.npz")
    _check(loaded, docs)
    loaded.remove([1, 2])
    del docs[1], docs[2]
    _check(loaded, docs)


def test_an_empty_scope_finds_nothing() -> None:
    empty = ScopePostings.build([], [], stem)
    assert empty.top([("tea", 1.0)], 3.0, 10) == []
    blank = ScopePostings.build([7], [""], stem)
    assert blank.top([("tea", 1.0)], 3.0, 10) == []
    assert math.isclose(blank.lengths[0], TAG_TOKENS)
