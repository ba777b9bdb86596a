"""Source positions: where in which file a construct was written."""

from __future__ import annotations

import attrs


@attrs.frozen(order=True)
class Span:
    """A region of a source file, 1-based lines and columns, end exclusive.

    Example:
        >>> Span("a.luk", 3, 1, 3, 5)
        Span(file='a.luk', line=3, column=1, end_line=3, end_column=5)
    """

    file: str
    line: int
    column: int
    end_line: int
    end_column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"

    @classmethod
    def parse(cls, text: str) -> Span | None:
        """The span ``str(span)`` was made from (one character wide), or None.

        Example:
            >>> Span.parse("law/whw.luk:17:3")
            Span(file='law/whw.luk', line=17, column=3, end_line=17, end_column=4)
        """
        rest, _, column = text.rpartition(":")
        file, _, line = rest.rpartition(":")
        if not (file and line.isdigit() and column.isdigit()):
            return None
        return cls(file, int(line), int(column), int(line), int(column) + 1)

    @classmethod
    def unknown(cls, file: str = "<unknown>") -> Span:
        """A span for constructs that have no place in a source file."""
        return cls(file, 0, 0, 0, 0)


def span_field() -> Span:
    """An attrs field for a node's span: kept, but ignored by ``==`` and hashing."""
    field: Span = attrs.field(eq=False, repr=False, default=Span.unknown(), kw_only=True)
    return field
