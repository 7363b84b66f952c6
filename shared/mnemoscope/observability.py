"""The shared Powertools Logger, Tracer and Metrics (configured by POWERTOOLS_* environment variables)."""

from aws_lambda_powertools import Logger, Metrics, Tracer

logger = Logger(service="mnemoscope")
tracer = Tracer(service="mnemoscope")
metrics = Metrics(namespace="Mnemoscope", service="mnemoscope")
