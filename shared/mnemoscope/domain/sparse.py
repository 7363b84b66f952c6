"""A sparse vector: a few weighted features out of a large space (the local model's "latent terms", issue 18)."""

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SparseVector:
    """Feature ids and their positive weights, heaviest first; the score of two vectors is their dot product."""

    features: tuple[int, ...]
    weights: tuple[float, ...]

    def __post_init__(self) -> None:
        if len(self.features) != len(self.weights):
            raise ValueError("a sparse vector needs one weight per feature")
