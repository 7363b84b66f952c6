"""How recalled memories are marked inside chat text, so consolidation never mines them again.

The chat feature renders recalled memories as a block:

    [memories]
    [2024-08-02 15:04:00 Friday] The user works at Alibaba.
    [/memories]

A block runs from a line equal to RECALLED_MEMORY_MARKER to a line equal to RECALLED_MEMORY_END, or, without an
end line, to the first blank line (or the end of the text)."""

RECALLED_MEMORY_MARKER = "[memories]"
RECALLED_MEMORY_END = "[/memories]"


def strip_recalled_memories(text: str) -> str:
    """`text` without its recalled-memory blocks (stripped; '' when nothing else was said)."""
    if RECALLED_MEMORY_MARKER not in text:
        return text.strip()
    kept: list[str] = []
    inside = False
    for line in text.splitlines():
        marker = line.strip()
        if not inside and marker == RECALLED_MEMORY_MARKER:
            inside = True
        elif inside and (marker == RECALLED_MEMORY_END or not marker):
            inside = False
        elif not inside:
            kept.append(line)
    return "\n".join(kept).strip()
