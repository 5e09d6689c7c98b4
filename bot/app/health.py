"""/healthz, /readyz and /metrics: answered before (and without) the Slack signature
check, by the HTTP server of `serve` and by the small one `worker --port` starts.

- `/healthz`: alive; this process reaches its database. 200 `{"ok": true}` or 503.
- `/readyz`: ready; the database answers and some reconciler, in this process or any
  other, completed a pass within 10 s as the database records it
  (`bot.services.health`), with the age of the longest-due outbox message. 503 with the
  reasons in plain words otherwise. Nothing else (no team names, no queue contents).
- `/metrics`: Prometheus text (`bot.app.metrics`). It says how many emergency requests
  of each language the desk has, so when `ONCALL_METRICS_TOKEN` is set it needs
  `Authorization: Bearer <token>` (Prometheus's `authorization` setting); a wrong or
  missing one gets 401.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from bot.services.health import Readiness

PATHS = ("/healthz", "/readyz", "/metrics")


@dataclass(frozen=True)
class Probes:
    alive: Callable[[], bool]
    ready: Callable[[], Readiness]
    metrics: Callable[[], bytes]
    metrics_type: str
    metrics_token: str | None = None


def _answer(start_response, status: str, body: bytes, content_type: str,
            extra: tuple[tuple[str, str], ...] = ()) -> list[bytes]:
    start_response(status, [("Content-Type", content_type),
                            ("Content-Length", str(len(body))),
                            ("Cache-Control", "no-store"), *extra])
    return [body]


def _json(start_response, ok: bool, doc: dict) -> list[bytes]:
    return _answer(start_response, "200 OK" if ok else "503 Service Unavailable",
                   json.dumps(doc).encode(), "application/json")


def _authorized(environ, token: str | None) -> bool:
    if not token:
        return True
    given = environ.get("HTTP_AUTHORIZATION", "")
    scheme, _, value = given.partition(" ")
    # Compared in constant time: the answer must not tell how much of a guess was right.
    return scheme.lower() == "bearer" and hmac.compare_digest(
        value.strip().encode(), token.encode())


def answer(probes: Probes, environ, start_response) -> Iterable[bytes] | None:
    """The answer for a health path, or None when the path is not one of them."""
    path = environ.get("PATH_INFO", "")
    if path not in PATHS:
        return None
    if environ.get("REQUEST_METHOD", "GET") not in ("GET", "HEAD"):
        return _answer(start_response, "405 Method Not Allowed", b"Use GET.\n",
                       "text/plain; charset=utf-8", (("Allow", "GET, HEAD"),))
    if path == "/healthz":
        ok = probes.alive()
        return _json(start_response, ok, {"ok": ok})
    if path == "/readyz":
        readiness = probes.ready()
        return _json(start_response, readiness.ready, readiness.as_json())
    if not _authorized(environ, probes.metrics_token):
        return _answer(start_response, "401 Unauthorized",
                       b"/metrics needs the token set in ONCALL_METRICS_TOKEN, sent as "
                       b"'Authorization: Bearer <token>'.\n", "text/plain; charset=utf-8",
                       (("WWW-Authenticate", 'Bearer realm="metrics"'),))
    return _answer(start_response, "200 OK", probes.metrics(), probes.metrics_type)


def health_only(probes: Probes):
    """A WSGI app of the health paths alone (the worker's port); 404 for anything else."""
    def app(environ, start_response) -> Iterable[bytes]:
        found = answer(probes, environ, start_response)
        if found is not None:
            return found
        return _answer(start_response, "404 Not Found", b"Not Found\n",
                       "text/plain; charset=utf-8")
    return app
