"""MemoryEventPublisher for `mnemoscope serve`: POSTs each event to every configured webhook URL, signed.

`publish` only queues (a request never waits for a subscriber); one background thread delivers. A delivery that
fails (connection error, timeout, non-2xx) is retried with exponential backoff up to `max_attempts`, without
holding up the deliveries behind it. The backlog is bounded: when full, the oldest delivery is dropped, counted and
logged. Delivery is at-least-once while the process lives; what is queued when `serve` stops is logged and lost.

Signature header (Stripe-style, so a receiver can reject forgeries and replays):
    Mnemoscope-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>." + raw body)>
A receiver recomputes v1 over the raw body and rejects a `t` older than its tolerance (`verify` does both)."""

import hashlib
import heapq
import hmac
import itertools
import logging
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from mnemoscope.domain.memory_events import MemoryEvent

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "Mnemoscope-Signature"
EVENT_ID_HEADER = "Mnemoscope-Event-Id"
EVENT_TYPE_HEADER = "Mnemoscope-Event-Type"


def sign(secret: str, body: bytes, timestamp: int) -> str:
    """The signature header value for `body` sent at `timestamp` (unix seconds)."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify(secret: str, body: bytes, header: str, now: float, tolerance_seconds: float = 300) -> bool:
    """Whether `header` signs `body` with `secret` and is recent (the receiver's side, for tests and examples)."""
    parts = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    if not parts.get("t", "").isdigit() or "v1" not in parts:
        return False
    timestamp = int(parts["t"])
    if abs(now - timestamp) > tolerance_seconds:
        return False
    return hmac.compare_digest(sign(secret, body, timestamp), f"t={timestamp},v1={parts['v1']}")


@dataclass(order=True)
class _Delivery:
    due: float
    seq: int
    url: str = field(compare=False)
    body: bytes = field(compare=False)
    event: MemoryEvent = field(compare=False)
    attempt: int = field(default=0, compare=False)


@dataclass
class DeliveryStats:
    delivered: int = 0
    dropped: int = 0  # pushed out of a full backlog
    failed: int = 0  # gave up after max_attempts


class WebhookMemoryEvents:
    """Signed webhook delivery on a background thread (`start`, then `close` on shutdown)."""

    def __init__(
        self,
        urls: Sequence[str],
        secret: str,
        *,
        backlog: int = 1000,
        max_attempts: int = 5,
        first_delay_seconds: float = 0.5,
        max_delay_seconds: float = 30.0,
        timeout_seconds: float = 5.0,
        now: Callable[[], float] = time.time,
    ) -> None:
        self._urls = tuple(urls)
        self._secret = secret
        self._backlog = backlog
        self._max_attempts = max_attempts
        self._first_delay = first_delay_seconds
        self._max_delay = max_delay_seconds
        self._timeout = timeout_seconds
        self._now = now
        self._items: list[_Delivery] = []  # a heap by (due, seq)
        self._seq = itertools.count()
        self._cond = threading.Condition()
        self._stopping = False
        self._thread: threading.Thread | None = None
        self.stats = DeliveryStats()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="mnemoscope-webhooks", daemon=True)
        self._thread.start()

    def publish(self, events: Sequence[MemoryEvent]) -> None:
        with self._cond:
            for event in events:
                body = event.model_dump_json(exclude_none=True).encode()
                for url in self._urls:
                    self._push(_Delivery(self._now(), next(self._seq), url, body, event))
            self._cond.notify()

    def _push(self, delivery: _Delivery) -> None:
        if len(self._items) >= self._backlog:
            oldest = min(self._items, key=lambda d: d.seq)
            self._items.remove(oldest)
            heapq.heapify(self._items)
            self.stats.dropped += 1
            logger.warning(
                "webhook backlog full, oldest event dropped",
                extra={"event_id": oldest.event.event_id, "dropped": self.stats.dropped},
            )
        heapq.heappush(self._items, delivery)

    def close(self, timeout_seconds: float = 5.0) -> None:
        """Stop the thread (an attempt in flight finishes first); undelivered events are logged, not kept."""
        with self._cond:
            self._stopping = True
            self._cond.notify()
        if self._thread is not None:
            self._thread.join(timeout_seconds)
        if self._items:
            logger.warning("webhook events undelivered at shutdown", extra={"pending": len(self._items)})

    def _run(self) -> None:
        while (delivery := self._next()) is not None:
            if self._send(delivery):
                self.stats.delivered += 1
            elif delivery.attempt + 1 < self._max_attempts:
                delay = min(self._first_delay * 2**delivery.attempt, self._max_delay)
                with self._cond:
                    retry = _Delivery(self._now() + delay, delivery.seq, delivery.url, delivery.body, delivery.event)
                    retry.attempt = delivery.attempt + 1
                    self._push(retry)
            else:
                self.stats.failed += 1
                logger.error(
                    "webhook delivery failed", extra={"event_id": delivery.event.event_id, "url": delivery.url}
                )

    def _next(self) -> _Delivery | None:
        """The next due delivery, waiting for one; None once stopping."""
        with self._cond:
            while not self._stopping:
                if not self._items:
                    self._cond.wait()
                    continue
                wait = self._items[0].due - self._now()
                if wait <= 0:
                    return heapq.heappop(self._items)
                self._cond.wait(wait)
            return None

    def _send(self, delivery: _Delivery) -> bool:
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: sign(self._secret, delivery.body, int(self._now())),
            EVENT_ID_HEADER: delivery.event.event_id,
            EVENT_TYPE_HEADER: delivery.event.kind,
        }
        request = urllib.request.Request(delivery.url, data=delivery.body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self._timeout) as response:
                return 200 <= int(response.status) < 300
        except (urllib.error.URLError, OSError, ValueError) as error:
            logger.info(
                "webhook attempt failed",
                extra={"url": delivery.url, "attempt": delivery.attempt + 1, "reason": str(error)},
            )
            return False
