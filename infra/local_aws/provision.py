"""Create the template's tables, FIFO queue + DLQ and the memory index on the local stand-ins, then write the
environment for `sam local invoke` (events/env.local.json) and for `mnemoscope serve --backend aws`.

    python -m infra.local_aws.provision --aws-endpoint http://127.0.0.1:4566 --opensearch http://127.0.0.1:9210

Idempotent: what exists is kept (a table or queue of the same name is not compared; `make local-aws-stop` and a
fresh start give clean state). Names and schemas come from template.yaml (`resources.local_stack`); the index
from infra/opensearch/index.json (`bootstrap.py`)."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import boto3
from botocore.exceptions import ClientError
from infra.local_aws.resources import LocalStack, QueueSpec, local_stack
from infra.opensearch import bootstrap

REPO = Path(__file__).resolve().parents[2]
REGION = "us-east-1"
# moto accepts any credentials; these keep boto3 from looking further (and never reach AWS).
LOCAL_CREDENTIALS = {"aws_access_key_id": "local", "aws_secret_access_key": "local"}
FUNCTIONS = ("ApiFunction", "ConsolidateFunction", "ReflectFunction")
OPENAI_SECRET_NAME = "mnemoscope/local/openai"


@dataclass(frozen=True)
class Created:
    tables: dict[str, str]  # logical id -> name
    queue_urls: dict[str, str]  # logical id -> URL as the endpoint gives it


def _client(service: str, endpoint: str) -> Any:
    return boto3.client(service, endpoint_url=endpoint, region_name=REGION, **LOCAL_CREDENTIALS)  # type: ignore[call-overload]


def create_tables(dynamodb: Any, stack: LocalStack) -> dict[str, str]:
    existing = set(dynamodb.list_tables()["TableNames"])
    for table in stack.tables:
        if table.name in existing:
            continue
        dynamodb.create_table(**table.create)
        if table.ttl_attribute:
            dynamodb.update_time_to_live(
                TableName=table.name, TimeToLiveSpecification={"AttributeName": table.ttl_attribute, "Enabled": True}
            )
    return {t.logical_id: t.name for t in stack.tables}


def create_queues(sqs: Any, queues: list[QueueSpec]) -> dict[str, str]:
    urls: dict[str, str] = {}
    for queue in queues:  # redrive targets first
        attributes = dict(queue.attributes)
        if queue.dead_letter_queue:
            target = sqs.get_queue_attributes(QueueUrl=urls[queue.dead_letter_queue], AttributeNames=["QueueArn"])
            policy = {
                "deadLetterTargetArn": target["Attributes"]["QueueArn"],
                "maxReceiveCount": queue.max_receive_count,
            }
            attributes["RedrivePolicy"] = json.dumps(policy)
        urls[queue.logical_id] = sqs.create_queue(QueueName=queue.name, Attributes=attributes)["QueueUrl"]
    return urls


def store_openai_key(endpoint: str, key: str) -> str:
    """The key as a secret on the stand-in: functions read keys from Secrets Manager, never from their env."""
    secrets = _client("secretsmanager", endpoint)
    try:
        secrets.create_secret(Name=OPENAI_SECRET_NAME, SecretString=key)
    except ClientError as error:
        if error.response["Error"]["Code"] != "ResourceExistsException":
            raise
        secrets.put_secret_value(SecretId=OPENAI_SECRET_NAME, SecretString=key)
    return OPENAI_SECRET_NAME


def rehost(url: str, host: str | None) -> str:
    """The same URL seen from elsewhere (a SAM container reaches the host as host.docker.internal)."""
    if not host:
        return url
    parts = urlsplit(url)
    return urlunsplit(parts._replace(netloc=f"{host}:{parts.port}" if parts.port else host))


def environment(args: argparse.Namespace, stack: LocalStack, created: Created, host: str | None) -> dict[str, str]:
    """MNEMOSCOPE_* for the functions, with every endpoint as seen from `host` (None: as given)."""
    env = {
        "MNEMOSCOPE_BACKEND": "aws",
        "MNEMOSCOPE_AWS_REGION": REGION,
        "MNEMOSCOPE_AWS_ENDPOINT_URL": rehost(args.aws_endpoint, host),
        "MNEMOSCOPE_CHAT_TABLE": created.tables["ChatTable"],
        "MNEMOSCOPE_MEMORY_TABLE": created.tables["MemoryTable"],
        "MNEMOSCOPE_JOBS_QUEUE_URL": rehost(created.queue_urls[stack.worker.queue], host),
        "MNEMOSCOPE_OPENSEARCH_ENDPOINT": rehost(args.opensearch, host),
        "MNEMOSCOPE_OPENSEARCH_AUTH": "none",
        # The node from Maven Central has no native k-NN libraries: faiss would crash it (infra/opensearch/README.md).
        "MNEMOSCOPE_OPENSEARCH_ENGINE": "lucene",
        "MNEMOSCOPE_EMBEDDER": args.embedder,
        "MNEMOSCOPE_EMBEDDING_DIMENSION": str(args.dimension),
        "MNEMOSCOPE_CHAT_PROVIDER": args.chat_provider,
    }
    if args.embedding_model:
        env["MNEMOSCOPE_EMBEDDING_MODEL"] = args.embedding_model
    if args.chat_model:
        env["MNEMOSCOPE_CHAT_MODEL"] = args.chat_model
    if args.openai_base_url:
        env["MNEMOSCOPE_OPENAI_BASE_URL"] = rehost(args.openai_base_url, host)
    if args.openai_secret:
        env["MNEMOSCOPE_OPENAI_API_KEY_SECRET"] = args.openai_secret
    return env


def write_env_files(args: argparse.Namespace, stack: LocalStack, created: Created) -> None:
    container = environment(args, stack, created, args.docker_host)
    sam = dict.fromkeys(FUNCTIONS, container)
    Path(args.sam_env).write_text(json.dumps(sam, indent=2) + "\n", encoding="utf-8")
    host = environment(args, stack, created, None) | {
        # Not declared in the template, so SAM would not pass it: the functions use the default index name there.
        "MNEMOSCOPE_OPENSEARCH_INDEX": args.index,
        "MNEMOSCOPE_WORKER_BATCH_SIZE": str(stack.worker.batch_size),
        "AWS_ACCESS_KEY_ID": LOCAL_CREDENTIALS["aws_access_key_id"],
        "AWS_SECRET_ACCESS_KEY": LOCAL_CREDENTIALS["aws_secret_access_key"],
        "AWS_DEFAULT_REGION": REGION,
    }
    Path(args.serve_env).parent.mkdir(parents=True, exist_ok=True)
    Path(args.serve_env).write_text("".join(f"{k}={v}\n" for k, v in host.items()), encoding="utf-8")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--aws-endpoint", required=True, help="DynamoDB + SQS + Secrets Manager (moto server)")
    parser.add_argument("--opensearch", required=True, help="the node, or the Serverless-constraints proxy")
    parser.add_argument("--index", default="mnemoscope-memories")
    parser.add_argument("--dimension", type=int, default=384, help="vector size (384: the local e5 embedder)")
    parser.add_argument("--stage", default="local", help="the template's Stage parameter (names)")
    parser.add_argument("--embedder", choices=["local", "openai", "dashscope"], default="local")
    parser.add_argument("--embedding-model")
    parser.add_argument("--chat-provider", choices=["none", "openai", "dashscope"], default="none")
    parser.add_argument("--chat-model")
    parser.add_argument("--openai-base-url", help="an OpenAI-compatible server on this machine")
    parser.add_argument("--openai-api-key", help="stored as a secret on the stand-in")
    parser.add_argument("--docker-host", default="host.docker.internal", help="this machine, seen from a container")
    parser.add_argument("--sam-env", default=str(REPO / "events/env.local.json"))
    parser.add_argument("--serve-env", default=str(REPO / ".local-aws/serve.env"))
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    stack = local_stack(args.stage)
    created = Created(
        create_tables(_client("dynamodb", args.aws_endpoint), stack),
        create_queues(_client("sqs", args.aws_endpoint), stack.queues),
    )
    args.openai_secret = store_openai_key(args.aws_endpoint, args.openai_api_key) if args.openai_api_key else None
    status = bootstrap.main(
        ["--endpoint", args.opensearch, "--index", args.index, "--dimension", str(args.dimension), "--engine", "lucene"]
    )
    if status != 0:
        return status
    write_env_files(args, stack, created)
    print(f"local-aws: tables {sorted(created.tables.values())}, queues {sorted(created.queue_urls.values())}")
    print(f"local-aws: wrote {args.sam_env} (sam local invoke) and {args.serve_env} (serve --backend aws)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
