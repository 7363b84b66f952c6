"""The service's error taxonomy. Raised by adapters and services, mapped to HTTP only in handlers."""


class MemoryServiceError(Exception):
    """Base class of every error this service raises on purpose."""


class MemoryNotFound(MemoryServiceError):
    """The memory does not exist in the caller's scope (another scope's id is also 'not found')."""


class ConfigurationError(MemoryServiceError):
    """The deployment is misconfigured (settings, missing table or endpoint): the operator's fault, not the caller's.
    Handlers answer 500 with a generic body and log the reason."""


class InvalidMemoryRequest(MemoryServiceError):
    """A request is well-formed JSON but asks for something impossible."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class MessageIdConflict(MemoryServiceError):
    """A turn was sent under an id that already names a different turn (earlier in the batch, or stored)."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


class DependencyUnavailable(MemoryServiceError):
    """A backing service (index, log, queue, model) is down or timed out; the caller may retry."""

    def __init__(self, message: str, retry_after_seconds: int = 5) -> None:
        super().__init__(message)
        self.retry_after_seconds = retry_after_seconds


class ModelInputRejected(DependencyUnavailable):
    """The model refused this input itself (content filter, input too long: a 4xx other than auth/rate limits).
    Retrying the same input fails the same way, so consolidation counts it toward quarantine. A subclass of
    DependencyUnavailable so every other caller keeps treating it as before. The message carries only the status
    and the provider's error code, never the input."""


class BackendRejected(MemoryServiceError):
    """A backing store refused a request *we* built (a mapping, a limit, a bug): a server fault, never the caller's."""


class LlmOutputInvalid(MemoryServiceError):
    """The language model's answer did not validate, even after a repair attempt."""


class ModelNotConfigured(MemoryServiceError):
    """An operation needs a chat model and none is configured."""


class ImportFileInvalid(InvalidMemoryRequest):
    """An import file has bad lines; nothing of it was stored. `problems` are (1-based line number, what is wrong),
    in file order."""

    def __init__(self, problems: list[tuple[int, str, str]]) -> None:
        # (line, field path inside the line or "", message)
        shown = "; ".join(f"line {n}: {f + ': ' if f else ''}{m}" for n, f, m in problems)
        super().__init__(f"{len(problems)} invalid line(s) in the file, nothing imported: {shown}", field="jsonl")
        self.problems = problems
