"""The runtime behind `mnemoscope serve`: the job worker (feeding the consolidate handler), the service graph, the
HTTP server and the reflection scheduler. The embedded default's worker is the in-process queue; with
`--backend aws` it is a poller on the SQS FIFO queue (the local stand-ins of `make local-aws`, or real AWS).

This is the local counterpart of what AWS provides around the Lambda functions (SQS, API Gateway, EventBridge
Scheduler); it sits above the entrypoints so that the composition root (`wiring`) never has to import one."""

import threading
from typing import Any, Protocol

from mnemoscope.adapters.local.in_process_queue import InProcessJobQueue
from mnemoscope.adapters.local.webhook_memory_events import WebhookMemoryEvents
from mnemoscope.entrypoints.lambda_context import LocalLambdaContext
from mnemoscope.runtime.scheduler import run_scheduler
from mnemoscope.runtime.server import LocalServer, serve_in_thread
from mnemoscope.runtime.sqs_poller import SqsPoller
from mnemoscope.settings import Settings
from mnemoscope.wiring import Services, build, install


def dispatch_to_consolidate_handler(event: dict[str, Any]) -> Any:
    """The queue's consumer: the consolidate function's own handler, given an SQS-shaped event."""
    from mnemoscope.entrypoints.consolidate import lambda_handler

    return lambda_handler(event, LocalLambdaContext("consolidate"))


class Worker(Protocol):
    def stop(self, timeout: float = ...) -> None: ...


class LocalRuntime:
    """One process's service: build with `start`, then `run` until stopped."""

    def __init__(self, server: LocalServer, services: Services, worker: Worker) -> None:
        self.server = server
        self.services = services
        self._worker = worker

    @classmethod
    def start(cls, settings: Settings, server: LocalServer) -> "LocalRuntime":
        """Start the worker, build the graph (around the in-process queue for the local backend) and install it as
        the process's (the handlers' `services()`).

        Raises:
            ConfigurationError: the settings cannot be built into a graph.
        """
        if settings.backend == "aws":
            return cls._start_on_aws(settings, server)
        queue = InProcessJobQueue(dispatch_to_consolidate_handler)
        queue.start()
        try:
            services = build(settings, job_queue=queue)
        except BaseException:
            queue.stop()
            raise
        events = services.ports.memory_events
        if isinstance(events, WebhookMemoryEvents):
            events.start()  # the delivery thread lives as long as serve
        install(services)
        return cls(server, services, queue)

    @classmethod
    def _start_on_aws(cls, settings: Settings, server: LocalServer) -> "LocalRuntime":
        from mnemoscope.adapters.aws.clients import sqs_client

        services = build(settings)
        install(services)
        poller = SqsPoller(
            sqs_client(settings),
            str(settings.jobs_queue_url),
            dispatch_to_consolidate_handler,
            batch_size=settings.worker_batch_size,
        )
        poller.start()
        return cls(server, services, poller)

    def run(
        self, stop: threading.Event, reflect_every_seconds: float, schedule_input: dict[str, Any] | None = None
    ) -> None:
        """Serve HTTP and sweep for reflection until `stop` is set; then close the server, drain the worker, stop
        the webhook delivery (after the worker: the jobs it drains may still announce changes) and close storage."""
        serve_in_thread(self.server)
        run_scheduler(stop, reflect_every_seconds, schedule_input)
        self.server.shutdown()
        self.server.server_close()
        self._worker.stop()
        if self.services.ports.memory_events is not None:
            self.services.ports.memory_events.close()
        # Last: writes the vector indexes' unsaved changes (skipping it costs a replay of the log at the next start).
        self.services.ports.close()
