"""Deploy step: create the memory index from infra/opensearch/index.json unless it exists (idempotent).

    python infra/opensearch/bootstrap.py --endpoint http://127.0.0.1:9200 --index mnemoscope-memories \
        --dimension 384 --engine lucene [--auth none|sigv4-es|sigv4-aoss] [--region eu-west-1]

Exit status 0 when the index exists afterwards with the requested dimension, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from mnemoscope.adapters.aws.opensearch_client import opensearch_client
from mnemoscope.adapters.aws.opensearch_index import ensure_index, opensearch_errors
from mnemoscope.adapters.aws.opensearch_queries import render_index_template
from mnemoscope.domain.errors import MemoryServiceError

INDEX_TEMPLATE = Path(__file__).resolve().parent / "index.json"


def index_body(dimension: int, engine: str) -> Any:
    """index.json with its placeholders filled."""
    template = json.loads(INDEX_TEMPLATE.read_text(encoding="utf-8"))
    return render_index_template(template, dimension, engine)  # type: ignore[arg-type]


def main(argv: list[str] | None = None) -> int:
    """Create the index if missing and check the dimension of an existing one."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--index", required=True)
    parser.add_argument("--dimension", type=int, required=True)
    parser.add_argument("--engine", choices=["lucene", "faiss"], default="faiss")
    parser.add_argument("--auth", choices=["none", "sigv4-es", "sigv4-aoss"], default="none")
    parser.add_argument("--region")
    parser.add_argument("--timeout", type=float, default=30.0)
    args = parser.parse_args(argv)
    try:
        client = opensearch_client(args.endpoint, auth=args.auth, region=args.region, timeout_seconds=args.timeout)
        created = ensure_index(client, args.index, index_body(args.dimension, args.engine))
        with opensearch_errors("bootstrap check"):
            mapping = client.indices.get_mapping(index=args.index)
    except MemoryServiceError as error:
        print(f"bootstrap failed: {error}", file=sys.stderr)
        return 1
    stored = next(iter(mapping.values()))["mappings"]["properties"]["vector"]["dimension"]
    if stored != args.dimension:
        print(f"index {args.index} exists with dimension {stored}, not {args.dimension}", file=sys.stderr)
        return 1
    print(f"index {args.index}: {'created' if created else 'already exists'} (dimension {stored})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
