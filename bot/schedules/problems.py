"""What a problem in a schedule file is (file, line, field path, message) and the error
that carries every problem found at once."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from yaml.nodes import Node

__all__ = ["Problem", "ScheduleError", "line_of"]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a schedule file, where it is and how to put it right."""

    file: str
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return (
            f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"
        )


class ScheduleError(Exception):
    """Every problem found in one or more schedule files."""

    def __init__(self, problems: Iterable[Problem]):
        self.problems: list[Problem] = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self.problems)



def line_of(node: Node | None) -> int | None:
    """The 1-based line a YAML node starts on (None for no node)."""
    return None if node is None else node.start_mark.line + 1
