"""One scope's inverted index in memory (numpy), scored with exactly FTS5's BM25.

FTS5 computes `bm25()` for every row a query matches before it can sort, through its auxiliary-function API:
~1.3 us a row, plus the OR-merge of the posting lists (a 30,000-row match cost ~40 ms at 100k memories). Here a
term's postings are two numpy slices (slots and term frequencies), so scoring a query is a few vectorised
multiply-adds over the rows that hold its terms (~1-2 ms at 100k).

Rows are *slots*. A built index holds its rows' postings in one CSR block sorted by term; rows added later go to a
small per-term delta; a removed or replaced row's slot is marked dead (its postings stay until the next
`compacted()`, and dead slots never score). The owner (keyword_store.py) decides when to compact."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt

FORMAT = 1  # of saved files
K1 = 1.2
B = 0.75
TAG_TOKENS = 1  # FTS5 counts the `tag` column's one token in every row's length
Ints = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float64]
Stem = Callable[[list[str]], list[tuple[str, ...]]]  # tokens -> the FTS5 terms each indexes as


@dataclass
class ScopePostings:
    terms: dict[str, int]  # term -> row of `bounds`
    bounds: Ints  # CSR: postings of term t are [bounds[t], bounds[t + 1])
    slots: npt.NDArray[np.int32]
    freqs: npt.NDArray[np.float32]
    pks: Ints  # slot -> memory pk
    lengths: Floats  # slot -> row length in tokens, all columns (FTS5's xColumnSize(-1))
    alive: npt.NDArray[np.bool_]
    # live pk -> slot, made on the first change (a loaded index that only searches never needs it)
    slot_by_pk: dict[int, int] | None = None
    delta: dict[str, tuple[list[int], list[float]]] = field(default_factory=dict)  # postings added since the build
    delta_rows: int = 0

    # -- building -----------------------------------------------------------------------------------
    @classmethod
    def build(cls, pks: Sequence[int], bodies: Sequence[str], stem: Stem) -> ScopePostings:
        """From rows' bodies (tokens separated by single spaces, as keyword_store.py writes them) and a stemmer
        that maps tokens to the FTS5 terms they index as. Vectorised: a 100k-row scope builds in about a second."""
        counts = np.fromiter((body.count(" ") + 1 if body else 0 for body in bodies), dtype=np.int64, count=len(bodies))
        flat = " ".join(body for body in bodies if body).split(" ") if any(bodies) else []
        distinct = list(set(flat))
        token_ids = np.fromiter(
            map({t: i for i, t in enumerate(distinct)}.__getitem__, flat), dtype=np.int64, count=len(flat)
        )
        terms: dict[str, int] = {}
        stems = stem(distinct)
        per_token = np.fromiter((len(s) for s in stems), dtype=np.int64, count=len(distinct))
        token_terms = np.fromiter(
            (terms.setdefault(t, len(terms)) for s in stems for t in s), dtype=np.int64, count=int(per_token.sum())
        )
        # Token occurrence -> its terms (usually exactly one): repeat each occurrence by its token's stem count.
        repeats = per_token[token_ids]
        first = np.concatenate([[0], np.cumsum(per_token)[:-1]]).astype(np.int64)
        starts = np.repeat(first[token_ids], repeats)
        within = np.arange(int(repeats.sum()), dtype=np.int64) - np.repeat(np.cumsum(repeats) - repeats, repeats)
        term_column = token_terms[starts + within]
        slot_of_token = np.repeat(np.arange(len(bodies), dtype=np.int64), counts)
        slot_column = np.repeat(slot_of_token, repeats)
        lengths = np.bincount(slot_column, minlength=len(bodies)).astype(np.int64)
        pk_array = np.asarray(pks, dtype=np.int64)
        return cls._from_pairs(terms, term_column, slot_column, None, pk_array, lengths)

    @classmethod
    def _from_pairs(
        cls, terms: dict[str, int], term_ids: Ints, slots: Ints, freqs: Floats | None, pks: Ints, token_counts: Ints
    ) -> ScopePostings:
        """CSR from (term, slot[, freq]) pairs; without `freqs` every pair is one occurrence."""
        rows = max(len(pks), 1)
        keys = term_ids * rows + slots
        if freqs is None:
            unique, counted = np.unique(keys, return_counts=True)
            merged = counted.astype(np.float32)
        else:
            order = np.argsort(keys, kind="stable")
            unique, first = np.unique(keys[order], return_index=True)
            merged = np.add.reduceat(freqs[order], first).astype(np.float32) if len(order) else np.zeros(0, np.float32)
        bounds = np.searchsorted(unique // rows, np.arange(len(terms) + 1)).astype(np.int64)
        return cls(
            terms=terms,
            bounds=bounds,
            slots=(unique % rows).astype(np.int32),
            freqs=merged,
            pks=pks,
            lengths=(token_counts + TAG_TOKENS).astype(np.float64),
            alive=np.ones(len(pks), dtype=np.bool_),
        )

    def compacted(self) -> ScopePostings:
        """The same live rows in one CSR block, without dead slots or delta (no SQLite read)."""
        names = list(self.terms) + [t for t in self.delta if t not in self.terms]
        ids = {t: i for i, t in enumerate(names)}
        per_term = np.diff(self.bounds)
        term_col = [np.repeat(np.arange(len(per_term), dtype=np.int64), per_term)]
        slot_col = [self.slots.astype(np.int64)]
        freq_col = [self.freqs.astype(np.float64)]
        for term, (slots, freqs) in self.delta.items():
            term_col.append(np.full(len(slots), ids[term], dtype=np.int64))
            slot_col.append(np.asarray(slots, dtype=np.int64))
            freq_col.append(np.asarray(freqs, dtype=np.float64))
        terms_, slots_, freqs_ = np.concatenate(term_col), np.concatenate(slot_col), np.concatenate(freq_col)
        keep = self.alive[slots_]
        renumber = np.cumsum(self.alive) - 1
        live = self.alive.nonzero()[0]
        return ScopePostings._from_pairs(
            ids,
            terms_[keep],
            renumber[slots_[keep]],
            freqs_[keep],
            self.pks[live],
            (self.lengths[live] - TAG_TOKENS).astype(np.int64),
        )

    # -- files ----------------------------------------------------------------------------------------
    def save(self, path: Path) -> None:
        """Write the index (compact it first: dead slots and delta are not saved) as an uncompressed .npz."""
        assert not self.delta_rows and self.live_rows == len(self.pks), "save a compacted index"
        vocabulary = np.frombuffer("\n".join(self.terms).encode(), dtype=np.uint8)
        with path.open("wb") as out:
            np.savez(
                out,
                version=np.array([FORMAT]),
                terms=vocabulary,
                bounds=self.bounds,
                slots=self.slots,
                freqs=self.freqs,
                pks=self.pks,
                lengths=self.lengths,
            )

    @classmethod
    def load(cls, path: Path) -> ScopePostings:
        """An index saved by `save`; ValueError (or OSError) when the file is not one."""
        with np.load(path, allow_pickle=False) as data:
            if int(data["version"][0]) != FORMAT:
                raise ValueError(f"format {int(data['version'][0])}, expected {FORMAT}")
            text = data["terms"].tobytes().decode()
            names = text.split("\n") if text else []
            bounds, slots, freqs = data["bounds"], data["slots"], data["freqs"]
            pks, lengths = data["pks"], data["lengths"]
        rows = len(pks)
        if (
            len(bounds) != len(names) + 1
            or len(lengths) != rows
            or len(slots) != len(freqs)
            or (len(bounds) and (bounds[0] != 0 or bounds[-1] != len(slots) or np.any(np.diff(bounds) < 0)))
            or (len(slots) and (slots.min() < 0 or slots.max() >= rows))
        ):
            raise ValueError("inconsistent arrays")
        return cls(
            terms={t: i for i, t in enumerate(names)},
            bounds=bounds.astype(np.int64, copy=False),
            slots=slots.astype(np.int32, copy=False),
            freqs=freqs.astype(np.float32, copy=False),
            pks=pks.astype(np.int64, copy=False),
            lengths=lengths.astype(np.float64, copy=False),
            alive=np.ones(rows, dtype=np.bool_),
        )

    # -- changes ------------------------------------------------------------------------------------
    @property
    def slot_of(self) -> dict[int, int]:
        if self.slot_by_pk is None:
            live = np.flatnonzero(self.alive)
            self.slot_by_pk = dict(zip(self.pks[live].tolist(), live.tolist(), strict=True))
        return self.slot_by_pk

    def remove(self, pks: Sequence[int]) -> None:
        slot_of = self.slot_of
        for pk in pks:
            slot = slot_of.pop(pk, None)
            if slot is not None:
                self.alive[slot] = False

    def add(self, docs: Sequence[tuple[int, Sequence[str]]]) -> None:
        """New rows (remove a pk first to replace it)."""
        if not docs:
            return
        first = len(self.pks)
        slot_of = self.slot_of
        for offset, (pk, doc_terms) in enumerate(docs):
            slot = first + offset
            slot_of[pk] = slot
            counted: dict[str, int] = {}
            for term in doc_terms:
                counted[term] = counted.get(term, 0) + 1
            for term, count in counted.items():
                slots, freqs = self.delta.setdefault(term, ([], []))
                slots.append(slot)
                freqs.append(float(count))
        self.pks = np.concatenate([self.pks, np.fromiter((pk for pk, _ in docs), dtype=np.int64, count=len(docs))])
        lengths = np.fromiter((len(t) + TAG_TOKENS for _, t in docs), dtype=np.float64, count=len(docs))
        self.lengths = np.concatenate([self.lengths, lengths])
        self.alive = np.concatenate([self.alive, np.ones(len(docs), dtype=np.bool_)])
        self.delta_rows += len(docs)

    @property
    def live_rows(self) -> int:
        return int(np.count_nonzero(self.alive))

    @property
    def wasted_rows(self) -> int:
        """Dead slots plus delta rows: the work `compacted()` would save."""
        return len(self.pks) - self.live_rows + self.delta_rows

    @property
    def nbytes(self) -> int:
        arrays = (self.bounds, self.slots, self.freqs, self.pks, self.lengths, self.alive)
        return (
            sum(a.nbytes for a in arrays) + 100 * (len(self.terms) + len(self.slot_by_pk or ())) + 40 * self.delta_rows
        )

    # -- scoring ------------------------------------------------------------------------------------
    def top(self, phrases: Sequence[tuple[str, float]], avgdl: float, count: int) -> list[tuple[int, float]]:
        """The `count` best (pk, BM25) of live rows holding any phrase term, best first (ties: lower pk first).

        `phrases` are (term, idf) in query order: FTS5 sums a row's phrase scores in that order, and so does this,
        so scores are the same doubles and ties stay ties."""
        if avgdl <= 0 or count <= 0:
            return []
        scores = np.zeros(len(self.pks), dtype=np.float64)
        for term, weight in phrases:
            for slots, freqs in self._postings(term):
                # FTS5: idf * (tf * (k1 + 1)) / (tf + k1 * (1 - b + b * D / avgdl)), in this association order.
                scores[slots] += (
                    weight * (freqs * (K1 + 1.0)) / (freqs + K1 * (1.0 - B + B * self.lengths[slots] / avgdl))
                )
        hits = np.flatnonzero((scores > 0.0) & self.alive)  # a mask scan: faster than nonzero() on the floats
        if len(hits) > count:
            # Everything scoring at least the count-th best, so a tie at the cut is broken by pk, not by chance.
            cut = -np.partition(-scores[hits], count - 1)[count - 1]
            hits = hits[scores[hits] >= cut]
        order = np.lexsort((self.pks[hits], -scores[hits]))[:count]
        best = hits[order]
        return list(zip(self.pks[best].tolist(), scores[best].tolist(), strict=True))

    def _postings(self, term: str) -> list[tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]]:
        out: list[tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]] = []
        row = self.terms.get(term)
        if row is not None:
            start, end = int(self.bounds[row]), int(self.bounds[row + 1])
            if end > start:
                out.append((self.slots[start:end].astype(np.int64), self.freqs[start:end].astype(np.float64)))
        extra = self.delta.get(term)
        if extra is not None:
            out.append((np.asarray(extra[0], dtype=np.int64), np.asarray(extra[1], dtype=np.float64)))
        return out
