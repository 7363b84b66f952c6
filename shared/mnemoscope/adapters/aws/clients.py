"""boto3 clients for the settings: the regional endpoints in AWS, one local endpoint under `make local-aws`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import boto3

from mnemoscope.adapters.aws import DEFAULT_CLIENT_CONFIG
from mnemoscope.settings import Settings

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_sqs import SQSClient


def _options(settings: Settings) -> dict[str, Any]:
    options: dict[str, Any] = {"config": DEFAULT_CLIENT_CONFIG}
    if settings.aws_endpoint_url:
        options["endpoint_url"] = settings.aws_endpoint_url
    if settings.aws_region:
        options["region_name"] = settings.aws_region
    return options


def dynamodb_client(settings: Settings) -> DynamoDBClient:
    return boto3.client("dynamodb", **_options(settings))


def sqs_client(settings: Settings) -> SQSClient:
    return boto3.client("sqs", **_options(settings))


def secrets_client(settings: Settings) -> Any:
    """For Powertools' get_secret (None: Powertools builds its own, on the regional endpoint)."""
    return boto3.client("secretsmanager", **_options(settings)) if settings.aws_endpoint_url else None
