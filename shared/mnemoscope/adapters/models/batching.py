"""Provider requests carry a bounded number of texts, each within the model's input limit; this splits a list,
keeps the order, and cuts texts that are too long."""

from collections.abc import Callable, Sequence


def in_batches(
    texts: Sequence[str],
    size: int,
    embed: Callable[[list[str]], list[list[float]]],
    max_batch_bytes: int | None = None,
) -> list[list[float]]:
    """`embed` over batches of at most `size` texts and (when given) `max_batch_bytes` UTF-8 bytes in all."""
    vectors: list[list[float]] = []
    batch: list[str] = []
    batch_bytes = 0
    for text in texts:
        length = len(text.encode("utf-8"))
        full = len(batch) == size or (max_batch_bytes is not None and batch_bytes + length > max_batch_bytes)
        if batch and full:
            vectors.extend(embed(batch))
            batch, batch_bytes = [], 0
        batch.append(text)
        batch_bytes += length
    if batch:
        vectors.extend(embed(batch))
    return vectors


def truncate_utf8(text: str, max_bytes: int) -> str:
    """The longest prefix of `text` (whole characters) that is at most `max_bytes` in UTF-8.

    A byte-level BPE tokenizer (OpenAI's cl100k/o200k, Qwen's) never makes more tokens than the text has bytes,
    so cutting at N bytes guarantees at most N tokens without shipping the tokenizer."""
    encoded = text.encode("utf-8")
    if len(encoded) <= max_bytes:
        return text
    return encoded[:max_bytes].decode("utf-8", errors="ignore")
