"""The stand-in's HTTP side: a threaded server on 127.0.0.1 that reads each request,
hands it to the stand-in, and writes the answer (late, or not at all, when a fault says
so)."""

from __future__ import annotations

import contextlib
import json
import socket
import sys
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol
from urllib.parse import parse_qsl

from bot import json_text
from bot.demo.slack_standin.web_api import ApiError

# Fields Slack clients send JSON-encoded inside form bodies.
_JSON_FIELDS = ("blocks", "attachments", "view", "files", "metadata")


@dataclass
class Outcome:
    """The answer to one request: what to send, after how long, or to hang up."""

    status: int
    body: bytes
    content_type: str = "application/json; charset=utf-8"
    headers: tuple[tuple[str, str], ...] = ()
    delay: float = 0.0
    drop: bool = False


class RequestHandler(Protocol):
    """What the server needs of the stand-in."""

    stopping: threading.Event
    errors: list[BaseException]

    def handle_request(
        self, path: str, headers: Any, body: bytes, arrived: float, thread_id: int,
        received: float = 0.0,
    ) -> Outcome: ...


def parse_params(content_type: str, body: bytes, query: str) -> dict[str, Any]:
    """A request's fields from its query string and its form or JSON body, JSON-valued
    form fields decoded; ApiError as Slack answers an unreadable body."""
    params: dict[str, Any] = dict(parse_qsl(query, keep_blank_values=True))
    kind = content_type.split(";", 1)[0].strip().lower()
    if body:
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            raise ApiError("invalid_form_data") from None
        if kind == "application/json":
            try:
                data = json.loads(text)
            except json.JSONDecodeError:
                raise ApiError("invalid_json") from None
            if not isinstance(data, dict):
                raise ApiError("invalid_json")
            params.update(data)
        else:
            params.update(parse_qsl(text, keep_blank_values=True))
    for key in _JSON_FIELDS:
        value = params.get(key)
        if isinstance(value, str) and value[:1] in ("[", "{"):
            with contextlib.suppress(json.JSONDecodeError):
                params[key] = json.loads(value)
    return params


def json_outcome(
    status: int, response: dict[str, Any], headers: tuple[tuple[str, str], ...] = ()
) -> Outcome:
    body = json_text.dumps_bytes(response)
    return Outcome(status, body, headers=headers)


def request_token(headers: Any, body_token: Any) -> str | None:
    """The call's token: ``Authorization: Bearer ...`` first, else a ``token`` field."""
    auth = headers.get("Authorization", "")
    if auth[:7].lower() == "bearer ":
        token = auth[7:].strip() or None
        if token is not None:
            return token
    return body_token if isinstance(body_token, str) and body_token else None


# ------------------------------------------------------------------------ server


class StandInServer(ThreadingHTTPServer):
    """Serves the stand-in; keeps its open connections so that stopping can cut idle
    keep-alive ones (their threads would otherwise wait out the idle timeout)."""

    daemon_threads = True
    block_on_close = False
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], standin: RequestHandler) -> None:
        super().__init__(address, _Handler)
        self.standin = standin
        self._connections: set[socket.socket] = set()
        self._conn_lock = threading.Lock()

    def opened(self, conn: socket.socket) -> None:
        with self._conn_lock:
            self._connections.add(conn)

    def closed(self, conn: socket.socket) -> None:
        with self._conn_lock:
            self._connections.discard(conn)

    def cut_connections(self) -> None:
        """Shut down every open connection (unblocks the threads serving them)."""
        with self._conn_lock:
            connections = list(self._connections)
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        exc = sys.exc_info()[1]
        if isinstance(exc, ConnectionError | TimeoutError) or self.standin.stopping.is_set():
            return  # the client went away (e.g. it timed out); nothing to report
        if exc is not None:
            self.standin.errors.append(exc)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "SlackStandIn/1.0"
    sys_version = ""
    disable_nagle_algorithm = True
    timeout = 60  # idle keep-alive connections are closed after this
    server: StandInServer

    def setup(self) -> None:
        super().setup()
        self.server.opened(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.closed(self.connection)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # no per-request logging

    def do_POST(self) -> None:
        arrived, received = time.monotonic(), time.time()
        standin = self.server.standin
        try:
            body = self._read_body()
        except ValueError:
            self.close_connection = True
            self.send_error(400, "bad request body")
            return
        outcome = standin.handle_request(
            self.path, self.headers, body, arrived, threading.get_ident(), received
        )
        # The wait (a late answer, or the stand-in's answer latency) happens here, in
        # this connection's own thread and outside the stand-in's lock, so that slow
        # answers overlap as they do on Slack instead of queueing behind each other.
        if outcome.delay > 0 and standin.stopping.wait(outcome.delay):
            outcome.drop = True  # stopping: give up on the late answer
        if outcome.drop:
            self.close_connection = True
            return
        self.send_response(outcome.status)
        self.send_header("Content-Type", outcome.content_type)
        self.send_header("Content-Length", str(len(outcome.body)))
        for name, value in outcome.headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(outcome.body)

    do_GET = do_POST

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        if length < 0:
            raise ValueError("negative Content-Length")
        return self.rfile.read(length) if length else b""
