"""Reading an export file: every line validated with the wire models, every problem reported by line number.

The whole file is checked before anything is stored (docs/decisions.md, issue 15): a file with one bad line imports
nothing, so a fixed file can simply be imported again."""

from dataclasses import dataclass

from pydantic import TypeAdapter, ValidationError

from mnemoscope.contracts.export import (
    MAX_REPORTED_LINES,
    EndLine,
    ExportLine,
    HeaderLine,
    MemoryLine,
    MessageLine,
)
from mnemoscope.domain.errors import ImportFileInvalid

_LINE: TypeAdapter[ExportLine] = TypeAdapter(ExportLine)
Problem = tuple[int, str, str]


@dataclass(frozen=True)
class ExportFile:
    header: HeaderLine
    messages: list[MessageLine]  # as in the file: newest first
    memories: list[MemoryLine]  # newest first


def parse_export(text: str) -> ExportFile:
    """The file's records, or every problem found.

    Raises:
        ImportFileInvalid: a line is not JSON, not a known kind of line, invalid, out of place or a duplicate id;
            or the end line is missing or its counts differ (a cut-off file). At most 20 problems are listed.
    """
    problems: list[Problem] = []
    lines: list[tuple[int, ExportLine]] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue  # blank lines (a trailing newline, an editor's) carry nothing
        try:
            lines.append((number, _LINE.validate_json(raw)))
        except ValidationError as error:
            problems.extend(_problems(number, error))
    if not problems:  # counts and order mean something only once every line could be read
        problems.extend(_structure_problems(lines))
    if problems:
        raise ImportFileInvalid(sorted(problems)[:MAX_REPORTED_LINES])
    header = lines[0][1]
    assert isinstance(header, HeaderLine)  # checked by _structure_problems
    return ExportFile(
        header=header,
        messages=[line for _, line in lines if isinstance(line, MessageLine)],
        memories=[line for _, line in lines if isinstance(line, MemoryLine)],
    )


def _problems(number: int, error: ValidationError) -> list[Problem]:
    found: list[Problem] = []
    for detail in error.errors()[:5]:
        if detail["type"] == "json_invalid":
            return [(number, "", "not a JSON object")]
        # The discriminator's tag (message/memory...) is not a field; a path names fields and list positions.
        path = detail["loc"][1:] if detail["loc"] and detail["loc"][0] in _KINDS else detail["loc"]
        field = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".")
        found.append((number, field, str(detail["msg"])[:200]))
    return found


_KINDS = ("header", "message", "memory", "end")


def _structure_problems(lines: list[tuple[int, ExportLine]]) -> list[Problem]:
    if not lines:
        return [(1, "", "the file is empty")]
    problems: list[Problem] = []
    first_number, first = lines[0]
    if not isinstance(first, HeaderLine):
        problems.append((first_number, "kind", "the first line must be the header"))
    last_number, last = lines[-1]
    if isinstance(last, EndLine):
        problems.extend(_count_problems(lines, last_number, last))
    else:
        problems.append((last_number + 1, "", "the end line is missing: the file is cut off"))
    return problems + _placement_problems(lines)


def _placement_problems(lines: list[tuple[int, ExportLine]]) -> list[Problem]:
    problems: list[Problem] = []
    seen: dict[tuple[str, str], int] = {}
    for position, (number, line) in enumerate(lines):
        if isinstance(line, HeaderLine) and position > 0:
            problems.append((number, "kind", "a second header"))
        elif isinstance(line, EndLine) and position < len(lines) - 1:
            problems.append((number, "kind", "the end line must be the last line"))
        elif isinstance(line, MessageLine | MemoryLine):
            first = seen.setdefault((line.kind, line.id), number)
            if first != number:
                problems.append((number, "id", f"{line.kind} id repeated (first on line {first})"))
    return problems


def _count_problems(lines: list[tuple[int, ExportLine]], number: int, end: EndLine) -> list[Problem]:
    messages = sum(isinstance(line, MessageLine) for _, line in lines)
    memories = sum(isinstance(line, MemoryLine) for _, line in lines)
    if (messages, memories) == (end.messages, end.memories):
        return []
    return [(number, "", f"the file holds {messages} messages and {memories} memories, the end line says otherwise")]
