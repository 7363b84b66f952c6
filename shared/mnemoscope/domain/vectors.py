"""Small vector helpers in plain Python: the workers compare tens of vectors, and the Lambda layer stays free of
numpy (≈50 MB unzipped). The embedded index, which scores thousands, uses numpy in its adapter."""

import math
from collections.abc import Sequence

Vector = Sequence[float]


def unit(vector: Vector) -> list[float]:
    norm = math.sqrt(math.fsum(x * x for x in vector))
    return [x / norm for x in vector] if norm > 0 else [0.0 for _ in vector]


def cosine(a: Vector, b: Vector) -> float:
    """Cosine similarity of two vectors (0 when either is zero)."""
    norm = math.sqrt(math.fsum(x * x for x in a)) * math.sqrt(math.fsum(y * y for y in b))
    return math.fsum(x * y for x, y in zip(a, b, strict=True)) / norm if norm > 0 else 0.0


def similarity_matrix(rows: Sequence[Vector], columns: Sequence[Vector]) -> list[list[float]]:
    """Cosine similarity of every row vector with every column vector."""
    unit_rows = [unit(r) for r in rows]
    unit_columns = [unit(c) for c in columns]
    return [[math.fsum(x * y for x, y in zip(r, c, strict=True)) for c in unit_columns] for r in unit_rows]
