"""A MemoryFilter as SQL clauses over the `memories` table (shared by keyword and vector search)."""

from mnemoscope.ports.memory_index import MemoryFilter


def sql_filter(memory_filter: MemoryFilter, alias: str = "m.") -> tuple[str, list[object]]:
    clauses, params = "", []  # type: tuple[str, list[object]]
    for column, values in (("type", memory_filter.types), ("status", memory_filter.statuses)):
        if values is not None:
            clauses += f" AND {alias}{column} IN ({','.join('?' * len(values))})"
            params += sorted(values)
    for column, flag in (("reflected", memory_filter.reflected), ("reconsolidated", memory_filter.reconsolidated)):
        if flag is not None:
            clauses += f" AND {alias}{column} = ?"
            params.append(int(flag))
    return clauses, params
