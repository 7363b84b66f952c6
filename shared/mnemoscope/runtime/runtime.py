"""The embedded runtime behind `mnemoscope serve`: the in-process job queue (feeding the consolidate handler), the
service graph built around it, the HTTP server and the reflection scheduler.

This is the local counterpart of what AWS provides around the Lambda functions (SQS, API Gateway, EventBridge
Scheduler); it sits above the entrypoints so that the composition root (`wiring`) never has to import one."""

import threading
from typing import Any

from mnemoscope.adapters.local.in_process_queue import InProcessJobQueue
from mnemoscope.adapters.local.webhook_memory_events import WebhookMemoryEvents
from mnemoscope.entrypoints.lambda_context import LocalLambdaContext
from mnemoscope.runtime.scheduler import run_scheduler
from mnemoscope.runtime.server import LocalServer, serve_in_thread
from mnemoscope.settings import Settings
from mnemoscope.wiring import Services, build, install


def dispatch_to_consolidate_handler(event: dict[str, Any]) -> Any:
    """The queue's consumer: the consolidate function's own handler, given an SQS-shaped event."""
    from mnemoscope.entrypoints.consolidate import lambda_handler

    return lambda_handler(event, LocalLambdaContext("consolidate"))


class LocalRuntime:
    """One process's service: build with `start`, then `run` until stopped."""

    def __init__(self, server: LocalServer, services: Services, queue: InProcessJobQueue) -> None:
        self.server = server
        self.services = services
        self._queue = queue

    @classmethod
    def start(cls, settings: Settings, server: LocalServer) -> "LocalRuntime":
        """Start the queue, build the graph around it and install it as the process's (the handlers' `services()`).

        Raises:
            ConfigurationError: the settings cannot be built into a graph.
        """
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

    def run(self, stop: threading.Event, reflect_every_seconds: float) -> None:
        """Serve HTTP and sweep for reflection until `stop` is set; then close the server, drain the queue and stop
        the webhook delivery (after the queue: the jobs it drains may still announce changes)."""
        serve_in_thread(self.server)
        run_scheduler(stop, reflect_every_seconds)
        self.server.shutdown()
        self.server.server_close()
        self._queue.stop()
        if self.services.ports.memory_events is not None:
            self.services.ports.memory_events.close()
