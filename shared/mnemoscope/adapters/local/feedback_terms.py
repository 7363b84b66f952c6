"""The terms pseudo-relevance feedback picks expansion words from (services/feedback.py): the local keyword
index's own analyser (English words, CJK characters and bigrams) minus its query stop words and bare numbers
(a day or an amount shared by two memories says little about what they are about)."""

import functools

from mnemoscope.adapters.local.text_terms import STOP_WORDS, terms


# Every search analyses its ~100 candidates again, and a scope's memories recur from search to search: cached by
# the text itself (a changed memory is a different text), as the parsed documents are.
@functools.lru_cache(maxsize=8192)
def content_terms(text: str) -> tuple[str, ...]:
    """Search terms of `text` in order, repeats kept, without stop words and numbers."""
    return tuple(term for term in terms(text) if term not in STOP_WORDS and not term.isdigit())
