"""The api Lambda function (its CodeUri). The handler lives in the WorkerLayer so that `mnemoscope serve`
runs the very same code; this module only names it for Lambda (Handler: handler.lambda_handler)."""

from mnemoscope.entrypoints.api import lambda_handler

__all__ = ["lambda_handler"]
