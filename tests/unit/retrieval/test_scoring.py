"""Fusion, type weights and the time boost (pure policies)."""

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mnemoscope.domain.scoring import (
    TypeWeights,
    convex_fusion,
    final_score,
    min_max,
    normalised_fusion,
    reciprocal_rank_fusion,
    time_matches,
)
from mnemoscope.domain.time_range import TimeRange
from tests.contracts.builders import memory


def _range(y1: int, m1: int, d1: int, y2: int, m2: int, d2: int, recurrence: str | None = None) -> TimeRange:
    return TimeRange.model_validate(
        {"start": datetime(y1, m1, d1, tzinfo=UTC), "end": datetime(y2, m2, d2, tzinfo=UTC), "recurrence": recurrence}
    )


def test_rrf_rewards_items_ranked_by_both_lists() -> None:
    fused = reciprocal_rank_fusion([["a", "b", "c"], ["c", "b", "d"]])
    assert fused["b"] > fused["a"]
    assert fused["c"] > fused["a"]
    assert fused["b"] == pytest.approx(2 / 62)
    assert set(fused) == {"a", "b", "c", "d"}


@given(st.lists(st.lists(st.sampled_from("abcdefgh"), unique=True, max_size=8), max_size=4))
def test_rrf_never_decreases_when_an_item_gains_a_list(rankings: list[list[str]]) -> None:
    base = reciprocal_rank_fusion(rankings)
    more = reciprocal_rank_fusion([*rankings, ["a"]])
    assert more["a"] > base.get("a", 0.0)
    assert all(more[k] == pytest.approx(v) for k, v in base.items() if k != "a")


def test_weighted_rrf_scales_each_list_and_k_sharpens_the_top() -> None:
    # Given one item only the vector list has and one only the keyword list has, at the same rank
    rankings = [["v"], ["k"]]
    # When the keyword list weighs more
    fused = reciprocal_rank_fusion(rankings, k=10, weights=(1.0, 1.5))
    # Then its item wins, by exactly the weight ratio
    assert fused == pytest.approx({"v": 1 / 11, "k": 1.5 / 11})
    assert reciprocal_rank_fusion([["a", "b"]], k=1)["a"] / reciprocal_rank_fusion([["a", "b"]], k=1)["b"] == 1.5


def test_min_max_maps_each_list_onto_zero_to_one() -> None:
    assert min_max({"a": -0.2, "b": 0.3, "c": 0.8}) == pytest.approx({"a": 0.0, "b": 0.5, "c": 1.0})
    assert min_max({"a": 4.0, "b": 4.0}) == {"a": 1.0, "b": 1.0}
    assert min_max({}) == {}


def test_convex_fusion_mixes_normalised_scores_by_the_keyword_weight() -> None:
    fused = convex_fusion({"a": 0.9, "b": 0.5}, {"b": 12.0, "c": 2.0}, keyword_weight=0.6)
    assert fused == pytest.approx({"a": 0.4, "b": 0.6, "c": 0.0})


@given(
    st.dictionaries(st.sampled_from("abcdef"), st.floats(-1, 1), min_size=1),
    st.dictionaries(st.sampled_from("abcdef"), st.floats(0, 50), min_size=1),
    st.floats(0, 1),
)
def test_convex_fusion_stays_within_zero_and_one(vector: dict[str, float], keyword: dict[str, float], w: float) -> None:
    fused = convex_fusion(vector, keyword, w)
    assert set(fused) == set(vector) | set(keyword)
    assert all(-1e-9 <= score <= 1 + 1e-9 for score in fused.values())


def test_normalised_fusion_adds_scaled_keyword_scores() -> None:
    fused = normalised_fusion({"a": 0.8, "b": 0.7}, {"b": 10.0, "c": 5.0}, keyword_weight=0.3)
    assert fused == pytest.approx({"a": 0.8, "b": 1.0, "c": 0.15})


def test_type_weights_follow_memoryscope() -> None:
    weights = TypeWeights()
    assert (weights.of("insight"), weights.of("custom"), weights.of("observation")) == (2.0, 1.2, 1.0)
    node = memory("i", "x", kind="insight")
    assert final_score(0.5, node, weights, None, 2.0) == pytest.approx(1.0)


def test_time_boost_applies_only_on_overlap() -> None:
    week = _range(2024, 8, 5, 2024, 8, 12)
    inside = memory("in", "trip", event_time=_range(2024, 8, 7, 2024, 8, 8))
    outside = memory("out", "trip", event_time=_range(2024, 9, 7, 2024, 9, 8))
    undated = memory("none", "trip")
    weights = TypeWeights()
    assert final_score(1.0, inside, weights, week, 2.0) == 2.0
    assert final_score(1.0, outside, weights, week, 2.0) == 1.0
    assert final_score(1.0, undated, weights, week, 2.0) == 1.0
    assert final_score(1.0, inside, weights, None, 2.0) == 1.0


@pytest.mark.parametrize(
    ("event", "query", "expected"),
    [
        # yearly birthday on April 28 matches "April 2026" and "last week of April 2025"
        (_range(1990, 4, 28, 1990, 4, 29, "yearly"), _range(2026, 4, 1, 2026, 5, 1), True),
        (_range(1990, 4, 28, 1990, 4, 29, "yearly"), _range(2025, 4, 21, 2025, 4, 28), False),
        (_range(1990, 4, 28, 1990, 4, 29, "yearly"), _range(2025, 4, 28, 2025, 5, 5), True),
        # every Monday (2024-08-05 is a Monday) matches any week, not a Tuesday
        (_range(2024, 8, 5, 2024, 8, 6, "weekly"), _range(2025, 1, 6, 2025, 1, 13), True),
        (_range(2024, 8, 5, 2024, 8, 6, "weekly"), _range(2025, 1, 7, 2025, 1, 8), False),
        # monthly on the 31st clamps to the month's last day
        (_range(2024, 1, 31, 2024, 2, 1, "monthly"), _range(2024, 2, 29, 2024, 3, 1), True),
        # a recurrence that starts later still matches earlier years (the event is "every year")
        (_range(2030, 12, 25, 2030, 12, 26, "yearly"), _range(2024, 12, 1, 2025, 1, 1), True),
        # plain ranges: half-open
        (_range(2024, 8, 5, 2024, 8, 12), _range(2024, 8, 12, 2024, 8, 13), False),
        (_range(2024, 8, 5, 2024, 8, 12), _range(2024, 8, 11, 2024, 8, 13), True),
    ],
)
def test_time_overlap_with_recurrence(event: TimeRange, query: TimeRange, expected: bool) -> None:
    assert time_matches(memory("m", "x", event_time=event), query) is expected
    assert event.overlaps(query) is expected
    assert query.overlaps(event) is expected
