"""Run `bot.charts.draw` in a child process: the spec as JSON in, PNG bytes out.

The serving process imports this module, never matplotlib (its import alone costs more
memory than the serving process's whole budget leaves, and about a second). One
drawing process is started on the first chart and kept: importing matplotlib and
loading its fonts is most of a chart's cost, so later charts take a fraction of a
second. Charts are drawn one at a time (a lock); a drawing process that fails, hangs
past `timeout` or dies is killed and the next chart starts a fresh one. Every failure
is a `ChartError` whose message says in plain words why there is no chart, for the
reply that still carries the table.

The protocol (`bot.charts.draw --serve`): one JSON spec per line on stdin; the answer
is a line `OK <n>` followed by n bytes of PNG, or a line `ERR <why>`.
"""

from __future__ import annotations

import atexit
import json
import subprocess
import sys
import threading

__all__ = ["PNG_MAGIC", "TIMEOUT_S", "ChartError", "render"]

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
TIMEOUT_S = 30.0


class ChartError(Exception):
    """Why a chart could not be drawn, in words for the person who asked."""


class _Drawer:
    """The kept drawing process of one interpreter path."""

    def __init__(self, python: str):
        self.python = python
        self.proc: subprocess.Popen | None = None
        self.lock = threading.Lock()

    def _started(self) -> subprocess.Popen:
        if self.proc is None or self.proc.poll() is not None:
            try:
                self.proc = subprocess.Popen(
                    [self.python, "-m", "bot.charts.draw", "--serve"],
                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            except OSError as err:
                raise ChartError("the drawing program could not start "
                                 f"({err.strerror})") from err
        return self.proc

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait()

    def draw(self, spec: dict, timeout: float) -> bytes:
        with self.lock:
            proc = self._started()
            answer: list = []
            reader = threading.Thread(target=_exchange, args=(proc, spec, answer),
                                      daemon=True)
            reader.start()
            reader.join(timeout)
            if reader.is_alive() or not answer:
                why = self._why_dead(proc) if proc.poll() is not None else None
                self.stop()
                if why:
                    raise ChartError(f"the drawing program failed: {why}")
                raise ChartError(f"drawing it took longer than {timeout:.0f} seconds")
            ok, value = answer[0]
            if not ok:
                raise ChartError(value)
            return value

    def _why_dead(self, proc: subprocess.Popen) -> str:
        said = (proc.stderr.read() if proc.stderr else b"").decode(errors="replace")
        lines = said.strip().splitlines()
        last = lines[-1] if lines else f"exit status {proc.returncode}"
        if "No module named 'matplotlib'" in last:
            return "the plotting library is not installed on the server"
        return last[:200]


def _exchange(proc: subprocess.Popen, spec: dict, answer: list) -> None:
    """Send one spec and read its answer (on a thread, so a hang can time out)."""
    try:
        proc.stdin.write(json.dumps(spec).encode() + b"\n")
        proc.stdin.flush()
        head = proc.stdout.readline().decode(errors="replace").strip()
        if head.startswith("OK "):
            png = proc.stdout.read(int(head[3:]))
            answer.append((True, png) if png.startswith(PNG_MAGIC) else (
                False, "the drawing program gave back something that is not a picture"))
        elif head.startswith("ERR "):
            answer.append((False, f"the drawing program failed: {head[4:]}"))
    except (OSError, ValueError):  # a pipe closed: the process died; the caller says why
        return


_drawers: dict[str, _Drawer] = {}
_drawers_lock = threading.Lock()


def render(spec: dict, timeout: float = TIMEOUT_S, python: str | None = None) -> bytes:
    """The PNG bytes of `spec` (`bot.charts.draw`), drawn in the kept child process."""
    path = python or sys.executable
    with _drawers_lock:
        drawer = _drawers.setdefault(path, _Drawer(path))
    return drawer.draw(spec, timeout)


@atexit.register
def _stop_all() -> None:
    for drawer in list(_drawers.values()):
        drawer.stop()
