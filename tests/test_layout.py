"""The house rules that `ruff` and `lint-imports` cannot state (docs/design.md, "Layout").

- No module of `bot/` over 500 lines (migrations aside: they are history, never edited).
- No private name (`_x`) imported from another module of ours, nor reached as
  `module._x`: what two modules share has a public name in one home.
- Services and core write no Slack markup: they name people, channels and commands
  with `bot.core.refs`, and each adapter renders those.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

BOT = Path(__file__).resolve().parents[1] / "bot"
MAX_LINES = 500
MODULES = sorted(p for p in BOT.rglob("*.py") if "migrations" not in p.parts)


def _name(path: Path) -> str:
    return str(path.relative_to(BOT.parent))


def test_the_rules_see_the_code() -> None:
    assert len(MODULES) > 40, "the layout rules found too few modules to check"


@pytest.mark.parametrize("path", MODULES, ids=_name)
def test_module_is_small(path: Path) -> None:
    lines = len(path.read_text().splitlines())
    assert lines <= MAX_LINES, f"{_name(path)} has {lines} lines: split it by concern"


def _private_reaches(tree: ast.AST) -> list[str]:
    """Private names this module takes from another module of ours."""
    imported_modules: set[str] = set()
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("bot"):
            for alias in node.names:
                if alias.name.startswith("_") and not alias.name.startswith("__"):
                    found.append(f"from {node.module} import {alias.name}")
                else:
                    imported_modules.add(alias.asname or alias.name)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("bot"):
                    imported_modules.add(alias.asname or alias.name.split(".")[0])
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                and node.value.id in imported_modules and node.attr.startswith("_")
                and not node.attr.startswith("__")):
            found.append(f"{node.value.id}.{node.attr} (line {node.lineno})")
    return found


@pytest.mark.parametrize("path", MODULES, ids=_name)
def test_no_private_name_crosses_modules(path: Path) -> None:
    assert _private_reaches(ast.parse(path.read_text())) == []


def test_private_reach_check_can_fail() -> None:
    tree = ast.parse("from bot.slack import render\nfrom bot.x import _y\nrender._section()\n")
    assert _private_reaches(tree) == ["from bot.x import _y", "render._section (line 3)"]


SLACK_MARKUP = re.compile(r"<[@#!]|`/oncall")


def _markup_in_strings(tree: ast.AST) -> list[str]:
    docstrings = {id(n.value) for n in ast.walk(tree)
                  if isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant)}
    found = []
    for node in ast.walk(tree):
        if (isinstance(node, ast.Constant) and isinstance(node.value, str)
                and id(node) not in docstrings) and SLACK_MARKUP.search(node.value):
            found.append(f"line {node.lineno}: {node.value[:60]!r}")
    return found


# The layers below the adapters: what they write reaches Slack, the command line and logs.
TRANSPORT_NEUTRAL = sorted(p for folder in ("services", "core")
                           for p in (BOT / folder).rglob("*.py"))


@pytest.mark.parametrize("path", TRANSPORT_NEUTRAL, ids=_name)
def test_services_and_core_write_no_slack_markup(path: Path) -> None:
    assert _markup_in_strings(ast.parse(path.read_text())) == []


def test_markup_check_can_fail() -> None:
    assert _markup_in_strings(ast.parse('x = f"<@{user}> acknowledged"')) != []
