import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mnemoscope.domain.vectors import cosine, similarity_matrix, unit

finite = st.floats(min_value=-100, max_value=100, allow_nan=False).filter(lambda x: x == 0 or abs(x) > 1e-6)


def test_cosine_and_matrix() -> None:
    assert cosine([1, 0], [0, 1]) == 0
    assert cosine([1, 1], [2, 2]) == pytest.approx(1.0)
    assert cosine([0, 0], [1, 0]) == 0
    first, second = similarity_matrix([[1, 0], [0, 2]], [[3, 0], [1, 1]])
    assert first == pytest.approx([1, math.sqrt(0.5)])
    assert second == pytest.approx([0, math.sqrt(0.5)])


@given(st.lists(finite, min_size=3, max_size=3), st.lists(finite, min_size=3, max_size=3))
def test_cosine_is_symmetric_and_bounded(a: list[float], b: list[float]) -> None:
    assert cosine(a, b) == pytest.approx(cosine(b, a))
    assert -1 - 1e-9 <= cosine(a, b) <= 1 + 1e-9
    if any(a):
        assert math.fsum(x * x for x in unit(a)) == pytest.approx(1.0)
