"""A SparseEncoder for tests only (behind our own port): one feature per *concept*, so words that share no letters
can still match, as the e5 sparse head's learned features do. Unknown words get a feature of their own."""

from collections.abc import Mapping, Sequence

from mnemoscope.domain.sparse import SparseVector

CONCEPTS: Mapping[str, int] = {
    "relax": 1, "unwind": 1, "destress": 1, "calm": 1, "painting": 1,
    "cat": 2, "kitten": 2, "miso": 2,
}  # fmt: skip


class ConceptEncoder:
    def __init__(self, concepts: Mapping[str, int] = CONCEPTS) -> None:
        self._concepts = concepts
        self.queries: list[str] = []
        self.documents: list[str] = []

    def vector(self, text: str) -> SparseVector:
        counts: dict[int, float] = {}
        for word in text.lower().replace("?", " ").replace(".", " ").replace(",", " ").split():
            feature = self._concepts.get(word, 100 + sum(map(ord, word)) % 16_000)
            counts[feature] = counts.get(feature, 0.0) + 1.0
        ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
        return SparseVector(tuple(f for f, _ in ranked), tuple(w for _, w in ranked))

    def encode_query(self, text: str) -> SparseVector:
        self.queries.append(text)
        return self.vector(text)

    def encode_documents(self, texts: Sequence[str]) -> list[SparseVector]:
        self.documents.extend(texts)
        return [self.vector(text) for text in texts]
