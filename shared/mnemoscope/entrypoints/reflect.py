"""The reflect function: an EventBridge Scheduler tick -> enqueue reflect jobs for the scopes that are due."""

from datetime import timedelta
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from mnemoscope.contracts.jobs import ReflectionSchedule, ReindexRequest
from mnemoscope.observability import IN_LAMBDA, logger, metrics, traced
from mnemoscope.wiring import services


def _reindex(request: ReindexRequest) -> dict[str, Any]:
    report = services().memories.rebuild_search(recreate=request.recreate)
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
    min_obs = schedule.min_observations or s.settings.reflect_min_observations
    max_age = timedelta(hours=schedule.max_age_hours or s.settings.reflect_max_age_hours)
    report = s.scheduler.sweep(min_obs, max_age, schedule.max_scopes)
    metrics.add_metric(name="ReflectJobsEnqueued", unit="Count", value=report.enqueued)
    metrics.add_metric(name="BacklogJobsEnqueued", unit="Count", value=report.backlog)
    logger.info("reflection sweep", extra={"enqueued": report.enqueued, "backlog": report.backlog})
    result = {"enqueued": report.enqueued, "backlog": report.backlog}
    if s.event_relay is not None:  # memory events a failed or crashed writer left in the outbox
        relayed = s.event_relay.run()
        metrics.add_metric(name="MemoryEventsRelayed", unit="Count", value=relayed.published)
        result |= {"events_relayed": relayed.published, "events_discarded": relayed.discarded}
    return result
