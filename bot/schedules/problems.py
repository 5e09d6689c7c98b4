"""What a problem in a schedule file is (file, line, field path, message), the error
that carries every problem found at once, and how a team path finds its YAML node."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

__all__ = ["Problem", "ScheduleError", "field_of", "line_of", "node_at", "warning_text"]


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


def warning_text(warnings: list[Problem]) -> str:
    """Warnings as the command line prints them, each located like a problem after
    `warning: `, then how many; '' for none. Warnings never fail a command."""
    if not warnings:
        return ""
    n = len(warnings)
    lines = [f"warning: {w}" for w in warnings]
    lines.append(f"{n} warning{'s' if n != 1 else ''} (allowed, but check "
                 f"{'them' if n != 1 else 'it'})")
    return "\n".join(lines) + "\n"


def line_of(node: Node | None) -> int | None:
    """The 1-based line a YAML node starts on (None for no node)."""
    return None if node is None else node.start_mark.line + 1


def node_at(root: Node, where: tuple[str | int, ...]) -> Node:
    """The node a team path leads to (("rotations", 1, "members", 2)), or the deepest
    node on the way when the rest is not written (a default, a missing field)."""
    node = root
    for key in where:
        if isinstance(key, int) and isinstance(node, SequenceNode) and key < len(node.value):
            node = node.value[key]
        elif isinstance(key, str) and isinstance(node, MappingNode):
            hit = next((v for k, v in node.value if isinstance(k, ScalarNode) and k.value == key),
                       None)  # fmt: skip
            if hit is None:
                return node
            node = hit
        else:
            return node
    return node


def field_of(where: tuple[str | int, ...]) -> str:
    """A team path as the field names of problems write it: specialists[3].backup[0]."""
    out = ""
    for key in where:
        out += f"[{key}]" if isinstance(key, int) else (f".{key}" if out else key)
    return out
