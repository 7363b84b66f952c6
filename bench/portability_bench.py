"""Export and import on the embedded default: `Memory.local()` with the real local model.

`.venv/bin/python bench/portability_bench.py --turns 5000 --memories 1000`: seeds a scope (turns through
`add_messages`, memories through `add_memory`), then times the export, the file size, the import into another
scope (which embeds every memory) and a second import of the same file (nothing new: nothing is embedded)."""

import argparse
import tempfile
import time
from pathlib import Path

from mnemoscope import Memory


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--turns", type=int, default=5000)
    parser.add_argument("--memories", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder, Memory.local(Path(folder)) as memory:
        for start in range(0, args.turns, 100):
            turns = [{"role": "user", "content": f"turn {i}: I went hiking near lake {i % 97} today."} for i in
                     range(start, min(start + 100, args.turns))]  # fmt: skip
            memory.add_messages("alice", turns)
        for i in range(args.memories):
            memory.add_memory("alice", f"Alice fact {i}: she likes trail number {i % 53} in the autumn.")
        began = time.perf_counter()
        text = "".join(memory.export("alice"))
        exported = time.perf_counter() - began
        began = time.perf_counter()
        memory.import_file("bob", text)
        first = time.perf_counter() - began
        began = time.perf_counter()
        memory.import_file("bob", text)
        again = time.perf_counter() - began
    print(f"turns={args.turns} memories={args.memories} file={len(text.encode()) / 1e6:.2f} MB")
    print(f"export {exported:.2f} s | import {first:.2f} s | same file again {again:.2f} s")


if __name__ == "__main__":
    main()
