"""The reflect function: an EventBridge Scheduler tick -> enqueue reflect jobs for the scopes that are due."""

from datetime import timedelta
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from mnemoscope.contracts.jobs import ReflectionSchedule, ReindexRequest, ScopeJob
from mnemoscope.domain.errors import InvalidMemoryRequest
from mnemoscope.observability import IN_LAMBDA, logger, metrics, traced
from mnemoscope.wiring import services


def _reindex(request: ReindexRequest) -> dict[str, Any]:
    from mnemoscope.adapters.aws.projected_memory_index import ProjectedMemoryIndex
    from mnemoscope.adapters.aws.reindex import reindex

    index = services().memory_index
    if not isinstance(index, ProjectedMemoryIndex):
        raise InvalidMemoryRequest("reindex needs the aws backend (records + search projection)", field="action")
    report = reindex(index, recreate=request.recreate).as_dict()
    logger.info("search projection rebuilt", extra=report)
    return report


@logger.inject_lambda_context(clear_state=True)
@traced
@metrics.log_metrics(capture_cold_start_metric=IN_LAMBDA)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    if isinstance(event, dict) and event.get("action") == "reindex":
        return _reindex(ReindexRequest.model_validate(event))
    schedule = ReflectionSchedule.model_validate(event or {})
    s = services()
    now = s.clock.now()
    min_obs = schedule.min_observations or s.settings.reflect_min_observations
    max_age = timedelta(hours=schedule.max_age_hours or s.settings.reflect_max_age_hours)
    due = s.chat_log.scopes_due_for_reflection(min_obs, now - max_age)[: schedule.max_scopes]
    for scope in due:
        s.job_queue.enqueue(ScopeJob(kind="reflect", scope=scope, requested_at=now))
    # Turns that waited while no model was configured (or whose jobs ended in the DLQ) get a new job.
    backlog = s.chat_log.scopes_with_pending(schedule.max_scopes) if s.chat_model is not None else []
    for scope in backlog:
        s.job_queue.enqueue(ScopeJob(kind="consolidate", scope=scope, requested_at=now))
    metrics.add_metric(name="ReflectJobsEnqueued", unit="Count", value=len(due))
    metrics.add_metric(name="BacklogJobsEnqueued", unit="Count", value=len(backlog))
    logger.info("reflection sweep", extra={"enqueued": len(due), "backlog": len(backlog)})
    return {"enqueued": len(due), "backlog": len(backlog)}
