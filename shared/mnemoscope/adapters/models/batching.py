"""Provider requests carry a bounded number of texts; this splits a list and keeps the order."""

from collections.abc import Callable, Sequence


def in_batches(texts: Sequence[str], size: int, embed: Callable[[list[str]], list[list[float]]]) -> list[list[float]]:
    vectors: list[list[float]] = []
    for start in range(0, len(texts), size):
        vectors.extend(embed(list(texts[start : start + size])))
    return vectors
