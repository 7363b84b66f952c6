"""Field types of the wire contract whose rules the JSON Schema states exactly, so clients and fuzzers see them.

Each rule is checked by pydantic and written into the OpenAPI document in a form every regex engine involved
(Python's `re`, Rust's `regex` in pydantic-core and jsonschema-rs, ECMA in browsers) reads the same way.
"""

import functools
import importlib.resources
import re
from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, BeforeValidator, StringConstraints, WithJsonSchema

# Exactly the characters `str.isspace()` and `str.strip()` treat as blank, spelled out: `\s` differs between engines.
_BLANK = r"\t\n\x0b\x0c\r \x1c-\x1f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
# Not blank and no NUL. The leading run holds only blanks, so no engine backtracks quadratically on it.
TEXT_PATTERN = rf"^[{_BLANK}]*[^\x00{_BLANK}][^\x00]*$"

Text = Annotated[str, StringConstraints(pattern=TEXT_PATTERN)]


def json_integer(value: object) -> object:
    # JSON Schema's "integer" is any number without a fraction (24.0 included); true and "24" are not numbers.
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("must be an integer")
    return value


JsonInt = Annotated[int, BeforeValidator(json_integer)]

# Years 1900-2999 in the sender's offset: a chat turn or a search's "now" is never outside them, and the margin to
# datetime's limits (1-9999) keeps offsets and relative times ("300 years ago") representable.
MIN_YEAR, MAX_YEAR = 1900, 2999
INSTANT_YEARS_PATTERN = r"^(19|2[0-9])[0-9]{2}-"
_INSTANT_YEARS = re.compile(INSTANT_YEARS_PATTERN)
# RFC 3339 date-time: the offset is required, so a naive local time is refused rather than guessed.
_RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:[Zz]|[+-]\d{2}:\d{2})")


def _rfc3339_in_range(value: object) -> object:
    """The datetime an RFC 3339 string names (a datetime built in code passes as it is)."""
    # pydantic alone also takes numbers ("created_at": 0 as 1970) and strings like "0" or "2024-01-01 10:00".
    if isinstance(value, str) and _RFC3339.fullmatch(value):
        if not _INSTANT_YEARS.match(value):
            raise ValueError(f"the year must be between {MIN_YEAR} and {MAX_YEAR}")
        return datetime.fromisoformat(value.upper())
    if isinstance(value, datetime):  # built in code (the chat service), not parsed from JSON
        if not MIN_YEAR <= value.year <= MAX_YEAR:
            raise ValueError(f"the year must be between {MIN_YEAR} and {MAX_YEAR}")
        return value
    raise ValueError("must be an ISO 8601 date-time string with a UTC offset, e.g. 2024-05-01T09:30:00+02:00")


Instant = Annotated[
    AwareDatetime,
    BeforeValidator(_rfc3339_in_range),
    WithJsonSchema({"type": "string", "format": "date-time", "pattern": INSTANT_YEARS_PATTERN}),
]


@functools.cache
def timezone_names() -> tuple[str, ...]:
    """The IANA zone names of the bundled `tzdata` package (a runtime dependency, so the list is the same in
    Lambda and locally). Folders such as "America" and paths such as "../etc" are not zones."""
    names = importlib.resources.files("tzdata").joinpath("zones").read_text(encoding="utf-8").split()
    return tuple(sorted(set(names)))


def _known_zone(value: str) -> str:
    if value not in timezone_names():
        raise ValueError(f"{value[:64]!r} is not an IANA timezone name such as 'Europe/Paris' or 'UTC'")
    return value


TIMEZONE_SCHEMA_REF = "#/components/schemas/TimezoneName"
Timezone = Annotated[str, AfterValidator(_known_zone), WithJsonSchema({"$ref": TIMEZONE_SCHEMA_REF})]
