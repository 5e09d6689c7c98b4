"""Run `bot.charts.draw` in a child process: the spec as JSON in, PNG bytes out.

The serving process imports this module, never matplotlib. Each chart starts a fresh
interpreter (about a second on a busy machine; the first run on a new machine also
builds matplotlib's font cache), bounded by `timeout` seconds. Every failure is a
`ChartError` whose message says in plain words why there is no chart, for the reply
that still carries the table.
"""

from __future__ import annotations

import json
import subprocess
import sys

__all__ = ["PNG_MAGIC", "TIMEOUT_S", "ChartError", "render"]

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
TIMEOUT_S = 30.0


class ChartError(Exception):
    """Why a chart could not be drawn, in words for the person who asked."""


def render(spec: dict, timeout: float = TIMEOUT_S, python: str | None = None) -> bytes:
    """The PNG bytes of `spec` (`bot.charts.draw`), drawn in a child process."""
    try:
        done = subprocess.run([python or sys.executable, "-m", "bot.charts.draw"],
                              input=json.dumps(spec).encode(), capture_output=True,
                              timeout=timeout, check=False)
    except subprocess.TimeoutExpired as err:
        raise ChartError(f"drawing it took longer than {timeout:.0f} seconds") from err
    except OSError as err:
        raise ChartError(f"the drawing program could not start ({err.strerror})") from err
    if done.returncode != 0:
        said = done.stderr.decode(errors="replace").strip().splitlines()
        last = said[-1] if said else f"exit status {done.returncode}"
        if "No module named 'matplotlib'" in last:
            last = "the plotting library is not installed on the server"
        raise ChartError(f"the drawing program failed: {last[:200]}")
    if not done.stdout.startswith(PNG_MAGIC):
        raise ChartError("the drawing program gave back something that is not a picture")
    return done.stdout
