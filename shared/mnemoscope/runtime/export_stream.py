"""`serve` streams GET /v1/users/{user_id}/export: chunked, line by line as the stores are read, with no size cap
(the api function buffers the same lines and caps them at Lambda's response limit).

Only a request that is certainly valid streams; anything else (no tenant, a bad id, HEAD) goes the normal way
through the api handler, which answers the usual error. The first page is read before the status line is sent, so
a store that is down still gets its 503; a failure after that ends the stream without the end line, and an import
of the cut-off file is refused."""

import itertools
import re
from collections.abc import Iterator
from urllib.parse import parse_qs, unquote, urlsplit

from mnemoscope.domain.ids import is_valid_id
from mnemoscope.domain.scope import DEFAULT_AGENT_ID, Scope
from mnemoscope.observability import logger
from mnemoscope.wiring import services

_EXPORT_PATH = re.compile(r"/v1/users/([^/]+)/export")
JSONL = "application/x-ndjson"


def export_scope(method: str, target: str, tenant: str | None) -> Scope | None:
    """The scope to stream, or None when this request is not a plainly valid export."""
    url = urlsplit(target)
    found = _EXPORT_PATH.fullmatch(unquote(url.path))
    if method != "GET" or found is None or tenant is None:
        return None
    agents = parse_qs(url.query, keep_blank_values=True).get("agent_id", [DEFAULT_AGENT_ID])
    user_id, agent_id = found.group(1), agents[-1]
    if not (is_valid_id(user_id) and is_valid_id(agent_id) and is_valid_id(tenant)):
        return None
    return Scope(tenant_id=tenant, agent_id=agent_id, user_id=user_id)


def export_chunks(scope: Scope) -> Iterator[bytes] | None:
    """The file as byte chunks (one per line), or None when its first page cannot be read."""
    lines = services().exports.lines(scope)
    try:
        head = list(itertools.islice(lines, 2))  # the header and the first record: the first read of the stores
    except Exception:  # answered by the api handler instead, with its own status (503 for a store that is down)
        return None
    return _encoded(itertools.chain(head, lines))


def _encoded(lines: Iterator[str]) -> Iterator[bytes]:
    try:
        for line in lines:
            yield line.encode("utf-8")
    except Exception:  # the status line is gone: end the body early; the missing end line tells the reader
        logger.exception("export stream failed")
