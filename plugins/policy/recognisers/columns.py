"""Cells of a table under a header that names what they hold: "first_name,last_name\\n77,Rocío,Herrera".

A row of a CSV or TSV file, a pasted spreadsheet or a Markdown table carries a person's name with nothing
around it that says so, except the header. Header cells are compared with case, spaces, underscores and
hyphens removed; a header is a line of at least two short cells of words (a sentence with a comma, a line
of code, is not one). The rows below it are read while they have as many cells; the caller judges each.
"""

from __future__ import annotations

from collections.abc import Iterator

import regex

from plugins.policy.deadline import finditer

SEPARATORS = ",;\t|"
CELL = {sep: regex.compile(rf'[ ]*(?:"((?:[^"\n]|"")*)"|([^{regex.escape(sep)}\n]*))[ ]*') for sep in SEPARATORS}
LINE = regex.compile(r"[^\n]+(?:\n|$)")


def _key(cell: str) -> str:
    return regex.sub(r"[\s_\-.]", "", cell.casefold())


def _cells(text: str, start: int, end: int, sep: str) -> list[tuple[int, int]]:
    """Each cell's (start, end) between `start` and `end`, without quotes and padding."""
    spans, position = [], start
    while position <= end:
        match = CELL[sep].match(text, position, end)
        if match is None:
            break
        group = 1 if match.group(1) is not None else 2
        spans.append(match.span(group))
        position = match.end() + 1
        if position > end or text[match.end():match.end() + 1] != sep:
            break
    return spans


HEADER_CELL = regex.compile(r"(?:[\p{L}#][\p{L}\p{M}\d _./'#-]{0,31})?")


def _header(text: str, spans: list[tuple[int, int]]) -> bool:
    return len(spans) >= 2 and all(HEADER_CELL.fullmatch(text, left, right) and len(text[left:right].split()) <= 3
                                   for left, right in spans)


def cells_under(text: str, headers: frozenset[str], deadline: float | None) -> Iterator[tuple[int, int, str]]:
    """(start, end, header) of every non-empty cell in a column whose header is one of `headers` (keys as
    `_key`: "firstname", "apellidos")."""
    if not any(sep in text for sep in SEPARATORS):
        return
    columns: dict[int, str] = {}
    sep, width = "", 0
    for line in finditer(LINE, text, deadline):
        start, end = line.start(), line.end() - (1 if line[0].endswith("\n") else 0)
        row = _cells(text, start, end, sep) if columns else []
        if columns and len(row) == width:
            for index, (left, right) in enumerate(row):
                if index in columns and text[left:right].strip(" -:"):
                    yield left, right, columns[index]
            continue
        columns, sep = {}, max(SEPARATORS, key=text[start:end].count)
        if text.count(sep, start, end) == 0:
            continue
        spans = _cells(text, start, end, sep)
        width = len(spans)
        if _header(text, spans):
            keys = [_key(text[left:right]) for left, right in spans]
            columns = {index: key for index, key in enumerate(keys) if key in headers}
