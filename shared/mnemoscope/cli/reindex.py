"""`mnemoscope reindex`: rebuild the OpenSearch search projection from the DynamoDB memory records.

Reads MNEMOSCOPE_* settings like the functions do (backend aws: MNEMOSCOPE_MEMORY_TABLE,
MNEMOSCOPE_OPENSEARCH_ENDPOINT, MNEMOSCOPE_OPENSEARCH_AUTH, ...). The deployed stack can do the same through
its reflect function: `aws lambda invoke --function-name <ReflectFunction> --payload file://events/reflect/reindex.json`.
"""

import argparse
import json
import sys


def add_parser(subparsers: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    parser = subparsers.add_parser("reindex", help="rebuild the AWS search index from the memory records")
    parser.add_argument(
        "--recreate", action="store_true", help="drop and create the index first (after a mapping or engine change)"
    )
    parser.add_argument(
        "--dimension",
        type=int,
        default=None,
        help="vector size (default: MNEMOSCOPE_EMBEDDING_DIMENSION or the records')",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from mnemoscope.adapters.aws.dynamodb_memory_records import DynamoDbMemoryRecords
    from mnemoscope.adapters.aws.reindex import reindex
    from mnemoscope.domain.errors import MemoryServiceError
    from mnemoscope.settings import Settings
    from mnemoscope.wiring import build_aws_memory_index

    settings = Settings()
    try:
        if not settings.memory_table:
            print("reindex needs MNEMOSCOPE_MEMORY_TABLE (and the OpenSearch settings)", file=sys.stderr)
            return 2
        dimension = args.dimension or settings.embedding_dimension
        if dimension is None:  # the records know: every vector has the index's size
            first = next(DynamoDbMemoryRecords(settings.memory_table).scan(page_size=1), None)
            dimension = len(first.vector) if first is not None and first.vector else None
        if dimension is None:
            print("no records and no --dimension: nothing to rebuild from", file=sys.stderr)
            return 2
        report = reindex(build_aws_memory_index(settings, dimension), recreate=args.recreate)
    except MemoryServiceError as error:
        print(f"reindex failed: {error}", file=sys.stderr)
        return 1
    print(json.dumps(report.as_dict()))
    return 0
