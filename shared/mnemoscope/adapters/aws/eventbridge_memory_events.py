"""MemoryEventPublisher on Amazon EventBridge (PutEvents), to the default bus or the stack's own.

PutEvents takes at most 10 entries and 256 KB per request, and can accept some entries while failing others
(FailedEntryCount > 0, an ErrorCode per failed entry). Events are cut into requests that respect both limits, and
only the failed entries are sent again, with backoff, a bounded number of times."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

import boto3
from botocore.exceptions import ClientError

from mnemoscope.adapters.aws import DEFAULT_CLIENT_CONFIG, dependency_errors, error_code
from mnemoscope.domain.errors import BackendRejected, DependencyUnavailable
from mnemoscope.domain.memory_events import MemoryEvent

if TYPE_CHECKING:
    from mypy_boto3_events import EventBridgeClient
    from mypy_boto3_events.type_defs import PutEventsRequestEntryTypeDef

MAX_ENTRIES = 10
MAX_REQUEST_BYTES = 256 * 1024
_TIME_BYTES = 14  # what EventBridge counts for an entry's Time field
_ATTEMPTS = 4


def entry_size(entry: PutEventsRequestEntryTypeDef) -> int:
    """An entry's size as EventBridge counts it (Time, Source, DetailType, Detail, Resources; UTF-8 bytes)."""
    size = _TIME_BYTES if "Time" in entry else 0
    for name in ("Source", "DetailType", "Detail"):
        size += len(str(entry.get(name, "")).encode("utf-8"))
    return size + sum(len(r.encode("utf-8")) for r in entry.get("Resources", []))


def requests_of(entries: Sequence[PutEventsRequestEntryTypeDef]) -> Iterator[list[PutEventsRequestEntryTypeDef]]:
    """Consecutive chunks of at most MAX_ENTRIES entries and MAX_REQUEST_BYTES bytes.

    Raises:
        BackendRejected: one entry alone is larger than a request may be (we built it: a server fault).
    """
    chunk: list[PutEventsRequestEntryTypeDef] = []
    chunk_bytes = 0
    for entry in entries:
        size = entry_size(entry)
        if size > MAX_REQUEST_BYTES:
            raise BackendRejected(f"memory event of {size} bytes exceeds EventBridge's {MAX_REQUEST_BYTES}")
        if chunk and (len(chunk) == MAX_ENTRIES or chunk_bytes + size > MAX_REQUEST_BYTES):
            yield chunk
            chunk, chunk_bytes = [], 0
        chunk.append(entry)
        chunk_bytes += size
    if chunk:
        yield chunk


class EventBridgeMemoryEvents:
    """Publishes memory events to one bus; the bus name is "default" or the stack's own bus."""

    def __init__(
        self,
        bus_name: str,
        source: str = "mnemoscope",
        client: EventBridgeClient | None = None,
        *,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._bus = bus_name
        self._source = source
        self._client: EventBridgeClient = client or boto3.client("events", config=DEFAULT_CLIENT_CONFIG)
        self._sleep = sleep

    def entry(self, event: MemoryEvent) -> PutEventsRequestEntryTypeDef:
        return {
            "EventBusName": self._bus,
            "Source": self._source,
            "DetailType": event.detail_type,
            "Time": event.occurred_at,
            "Detail": event.model_dump_json(exclude_none=True),
        }

    def publish(self, events: Sequence[MemoryEvent]) -> None:
        """Raises: DependencyUnavailable when some events are still refused after the retries."""
        for request in requests_of([self.entry(event) for event in events]):
            self._put(request)

    def _put(self, entries: list[PutEventsRequestEntryTypeDef]) -> None:
        codes: set[str] = set()
        for attempt in range(_ATTEMPTS):
            if attempt:
                self._sleep(min(0.1 * 2**attempt, 1.0))
            response = self._call(entries)
            if not response.get("FailedEntryCount"):
                return
            # Results are positional: keep exactly the entries that carry an ErrorCode.
            results = response.get("Entries", [])
            failed = [(e, r) for e, r in zip(entries, results, strict=False) if r.get("ErrorCode")]
            codes = {str(r.get("ErrorCode")) for _, r in failed}
            entries = [e for e, _ in failed]
        raise DependencyUnavailable(f"EventBridge refused {len(entries)} memory events ({', '.join(sorted(codes))})")

    def _call(self, entries: list[PutEventsRequestEntryTypeDef]) -> Any:
        try:
            with dependency_errors("EventBridge PutEvents"):
                return self._client.put_events(Entries=entries)
        except ClientError as error:
            raise BackendRejected(f"EventBridge rejected PutEvents ({error_code(error)})") from error

    def close(self) -> None:
        return None
