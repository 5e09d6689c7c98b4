"""Runs `oncall-bot` in-process for the command-line tests and keeps what it printed."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from bot.cli import main


@dataclass
class Result:
    code: int
    out: str
    err: str


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> Result:
    """`oncall-bot argv...` in-process; argparse's SystemExit becomes the exit code."""
    capsys.readouterr()
    try:
        code = main(list(argv))
    except SystemExit as exc:  # usage errors (2) and --help (0) exit from argparse
        code = exc.code if isinstance(exc.code, int) else 1
    out, err = capsys.readouterr()
    return Result(code, out, err)
