"""The terms pseudo-relevance feedback picks expansion words from (services/feedback.py): the local keyword
index's own analyser (English words, CJK characters and bigrams) minus its query stop words and bare numbers
(a day or an amount shared by two memories says little about what they are about)."""

from mnemoscope.adapters.local.text_terms import STOP_WORDS, terms


def content_terms(text: str) -> list[str]:
    """Search terms of `text` in order, repeats kept, without stop words and numbers."""
    return [term for term in terms(text) if term not in STOP_WORDS and not term.isdigit()]
