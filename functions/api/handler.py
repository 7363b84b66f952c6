"""The api Lambda function (its CodeUri). The handler lives in the WorkerLayer so that `mnemoscope serve`
runs the very same code; this module only names it for Lambda (Handler: handler.lambda_handler)."""

from mnemoscope.entrypoints.api import lambda_handler
from mnemoscope.entrypoints.snapstart import prime_for_snapshot

__all__ = ["lambda_handler"]

prime_for_snapshot()  # with SnapStart only: the slow part of a cold start, before the snapshot
