"""Rebuild the OpenSearch search projection from the DynamoDB memory records.

For a lost or emptied index, a new collection, or (with `recreate`) a mapping or engine change. Records are
read with their vectors, so nothing is embedded again. Search answers from whatever is indexed meanwhile (and
never shows a memory whose record is gone); with `recreate` it is empty until the rebuild has passed.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from mnemoscope.adapters.aws.opensearch_projection import Projected
from mnemoscope.adapters.aws.projected_memory_index import ProjectedMemoryIndex
from mnemoscope.domain.scope import Scope

BATCH = 200  # records per projection write: one _bulk plus one cleanup query per scope in the batch


@dataclass(frozen=True)
class ReindexReport:
    records: int
    orphans_removed: int
    recreated: bool

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def reindex(index: ProjectedMemoryIndex, *, recreate: bool = False) -> ReindexReport:
    """Write every record's projection (older documents of each memory are deleted as on any write), then
    delete documents of memories that have no record any more."""
    projection, records = index.projection, index.records
    if recreate:
        projection.recreate()
    else:
        projection.ensure_ready(check=True)  # a deleted index is created again, with the right mapping
    keys: set[tuple[str, str]] = set()
    batch: list[Projected] = []
    for record in records.scan():
        keys.add((record.node.scope.key, record.node.id))
        # scan reads every attribute; a record without a vector would fail the write with a clear error.
        batch.append(Projected(record.node, record.vector or (), record.version))
        if len(batch) >= BATCH:
            projection.write(batch)
            batch = []
    projection.write(batch)
    orphans = 0 if recreate else _remove_orphans(index, keys)
    return ReindexReport(records=len(keys), orphans_removed=orphans, recreated=recreate)


def _remove_orphans(index: ProjectedMemoryIndex, keys: set[tuple[str, str]]) -> int:
    candidates = [doc for doc in index.projection.documents() if (doc.scope_key, doc.memory_id) not in keys]
    # A memory written after the scan passed its scope has a document but no key above: ask the records again.
    asked = {(Scope.from_key(doc.scope_key), doc.memory_id) for doc in candidates}
    live = {(scope.key, memory_id) for scope, memory_id in index.records.get_many(list(asked))}
    orphans = [doc.doc_id for doc in candidates if (doc.scope_key, doc.memory_id) not in live]
    index.projection.discard(orphans)
    return len(orphans)
