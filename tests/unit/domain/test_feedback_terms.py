"""Pseudo-relevance feedback terms (issue 18 cont.): rare words of the best memories, never the query's own."""

from collections import Counter

from mnemoscope.domain.feedback import feedback_terms, pool_idf

TOP = [["marathon", "river", "running", "like"], ["marathon", "shoes", "like"]]
REST = [["like", word] for word in ("pasta", "cat", "garden", "violin", "bank", "car", "tea", "piano", "dog", "rain")]


def test_picks_words_the_top_memories_share_and_the_pool_lacks() -> None:
    chosen = feedback_terms({"relax"}, TOP, TOP + REST, limit=3)
    assert chosen[0] == "marathon"  # in both top memories, rare in the pool
    assert "like" not in chosen  # in every candidate: idf below zero


def test_query_terms_are_never_expansion_terms() -> None:
    assert "marathon" not in feedback_terms({"marathon"}, TOP, TOP + REST, limit=10)


def test_limit_and_empty_inputs() -> None:
    assert len(feedback_terms(set(), TOP, TOP + REST, limit=2)) == 2
    assert feedback_terms(set(), TOP, TOP + REST, limit=0) == []
    assert feedback_terms(set(), [], REST, limit=5) == []
    assert feedback_terms(set(), [[]], [[]], limit=5) == []


def test_ties_break_on_the_term() -> None:
    top = [["zeta", "alpha"]]
    pool = [*top, ["x"], ["y"], ["z"]]
    assert feedback_terms(set(), top, pool, limit=2) == ["alpha", "zeta"]


def test_pool_idf_is_negative_for_a_word_in_most_documents() -> None:
    df = Counter({"common": 9, "rare": 1})
    assert pool_idf("common", df, 10) < 0 < pool_idf("rare", df, 10)
