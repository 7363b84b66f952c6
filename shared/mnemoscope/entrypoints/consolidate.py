"""The consolidate function: SQS FIFO batches of scope jobs -> the job runner, with partial batch failures.

FIFO order per scope holds under partial failure: when a record fails, every later record of the same message group
(scope) in the batch is reported failed too, unprocessed, so SQS redelivers them after it, in order; records of
other groups go on (`skip_group_on_error`)."""

from typing import Any

from aws_lambda_powertools.utilities.batch import SqsFifoPartialProcessor, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from mnemoscope.contracts.jobs import ScopeJob
from mnemoscope.domain.errors import DependencyUnavailable
from mnemoscope.observability import IN_LAMBDA, logger, metrics, traced
from mnemoscope.ports.chat_model import time_budget
from mnemoscope.wiring import services

processor = SqsFifoPartialProcessor(skip_group_on_error=True)


def record_handler(record: SQSRecord, lambda_context: LambdaContext) -> dict[str, Any]:
    """One job. Exceptions propagate so the record is reported failed and SQS retries it (then the DLQ)."""
    job = ScopeJob.model_validate_json(record.body)
    # Per thread: under `serve` the queue's worker and API requests log at the same time.
    logger.thread_safe_append_keys(scope=job.scope.key, job=job.kind)
    # Model calls plan their retries within what is left of this invocation.
    try:
        with time_budget(lambda: lambda_context.get_remaining_time_in_millis() / 1000):
            outcome = services().jobs.run(job)
    except Exception as error:
        # The batch processor only reports the record as failed; say why. Only dependency errors carry their
        # message: validation messages can quote model output, i.e. user data.
        reason = str(error)[:300] if isinstance(error, DependencyUnavailable) else None
        metrics.add_metric(name="JobsFailed", unit="Count", value=1)
        logger.warning("job failed", extra={"error": type(error).__name__, "reason": reason})
        raise
    metrics.add_metric(name=f"Jobs{outcome.status.title()}", unit="Count", value=1)
    counts = outcome.counts()
    if counts.get("quarantined"):
        metrics.add_metric(name="TurnsQuarantined", unit="Count", value=counts["quarantined"])
    # Model cost per job kind: calls and tokens as CloudWatch metrics.
    for name, metric in (
        ("model_calls", "ModelCalls"),
        ("prompt_tokens", "PromptTokens"),
        ("completion_tokens", "CompletionTokens"),
    ):
        metrics.add_metric(name=f"{job.kind.title()}{metric}", unit="Count", value=counts.get(name, 0))
    logger.info("job finished", extra={"status": outcome.status, **counts})
    return outcome.model_dump()


@logger.inject_lambda_context(clear_state=True)
@traced
@metrics.log_metrics(capture_cold_start_metric=IN_LAMBDA)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    response = process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
    return dict(response)
