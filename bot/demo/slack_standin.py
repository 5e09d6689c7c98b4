"""A local stand-in for the Slack Web API, for tests, benchmarks and ``oncall-bot demo``.

It serves the handful of Web API methods this bot uses from a
``ThreadingHTTPServer`` on 127.0.0.1 (a free port by default) in a daemon thread,
answers them the way Slack does, and records every call::

    with SlackStandIn(users={"U1": {"real_name": "Ada", "tz": "Europe/Berlin"}}) as slack:
        client = make_web_client("xoxb-test", base_url=slack.url)
        client.chat_postMessage(channel="U1", text="You are on call")
        [message] = slack.messages_to("U1")

Behaviour worth knowing:

* Any POST (or GET) to ``/api/<method>`` is an API call. Bodies may be form-encoded
  or JSON; the query string is read too. The token comes from
  ``Authorization: Bearer ...`` or a ``token`` field. No token gives ``not_authed``,
  a token that is not accepted gives ``invalid_auth`` (by default any ``xoxb-``
  token is accepted). Unknown methods give ``unknown_method``. Errors are HTTP 200
  with ``{"ok": false, "error": ...}``, as on Slack.
* Every request, including auth failures, unknown methods and injected faults, is
  recorded as a :class:`Call`. ``Call.thread_id`` is the ident of the stand-in's
  server thread that handled the request; ``Call.at`` is ``time.monotonic()`` at
  arrival.
* ``ts`` values come from a counter: ``1767225600.000100``, ``1767225600.000200``, ...
  (unique and increasing for the life of the instance, ``clear()`` included).
* A message to a user id (``U...``/``W...``) lands in that user's DM channel,
  ``dm_channel(user_id)`` == ``"D" + user_id``; ``conversations.open`` gives the same id.
* ``files.getUploadURLExternal`` hands out ``http://127.0.0.1:PORT/upload/<file_id>``
  on the stand-in itself; the POST of the bytes there is recorded as method
  ``"upload"`` (``UPLOAD_METHOD``), and can have faults injected like any method.
* Faults (``fail_next``, ``delay_next``, ``drop_next``) are queued per method (or
  ``"*"`` for any method) and used in order. A failed call has no side effect. A
  delayed call takes effect on arrival and only its answer is late, like a Slack
  call whose response is lost to a client timeout.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import json
import re
import socket
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = ["Call", "SlackStandIn", "UPLOAD_METHOD", "serve_forever"]

UPLOAD_METHOD = "upload"
ANY_METHOD = "*"

_API_PREFIX = "/api/"
_UPLOAD_PREFIX = "/upload/"
_USER_ID = re.compile(r"^[UW][A-Z0-9]+$")
_JSON_FIELDS = ("blocks", "attachments", "view", "files", "metadata")
_DEFAULT_TS_START = 1767225600  # 2026-01-01T00:00:00Z


@dataclass(frozen=True, eq=False)
class Call:
    """One request the stand-in received.

    ``params`` holds the request's fields (body and query string) without the token;
    JSON-valued fields sent as strings (``blocks``, ``view``, ``files``, ...) are decoded.
    ``status`` is the HTTP status answered (0 when the connection was dropped),
    ``response`` the JSON answered (``None`` when dropped), ``fault`` the injected
    fault if any: ``"429"``, ``"500"``, ... , ``"delay"`` or ``"drop"``.
    """

    method: str
    params: dict[str, Any]
    at: float
    thread_id: int
    token: str | None = None
    status: int = 200
    response: dict[str, Any] | None = None
    fault: str | None = None

    @property
    def injected(self) -> bool:
        """True when a fault injected with fail_next/delay_next/drop_next hit this call."""
        return self.fault is not None

    @property
    def ok(self) -> bool:
        return self.status == 200 and bool(self.response and self.response.get("ok"))

    def describe(self, origin: float | None = None, width: int = 160) -> str:
        when = f"+{self.at - origin:.3f}s " if origin is not None else ""
        result = (
            "dropped"
            if self.response is None
            else ("ok" if self.response.get("ok") else f"error={self.response.get('error')}")
        )
        fault = f" fault={self.fault}" if self.fault else ""
        params = repr(self.params)
        if len(params) > width:
            params = params[: width - 3] + "..."
        return f"{when}{self.method} status={self.status} {result}{fault} params={params}"


class _ApiError(Exception):
    def __init__(self, error: str, **extra: Any) -> None:
        super().__init__(error)
        self.error = error
        self.extra = extra


@dataclass
class _Fault:
    kind: str  # "status", "delay" or "drop"
    remaining: int
    status: int = 200
    retry_after: int | None = None
    error: str | None = None
    seconds: float = 0.0


@dataclass
class _Outcome:
    status: int
    body: bytes
    content_type: str = "application/json; charset=utf-8"
    headers: tuple[tuple[str, str], ...] = ()
    delay: float = 0.0
    drop: bool = False


class SlackStandIn:
    """Local Slack Web API stand-in. See the module docstring."""

    def __init__(
        self,
        *,
        tokens: Iterable[str] | None = None,
        users: Mapping[str, Mapping[str, Any]] | None = None,
        usergroups: Mapping[str, Iterable[str]] | None = None,
        team_id: str = "T0STANDIN",
        team: str = "Stand-in Workspace",
        bot_user_id: str = "U0STANDBOT",
        bot_id: str = "B0STANDBOT",
        bot_name: str = "oncall-bot",
        workspace_url: str = "https://standin.slack.test/",
        ts_start: int = _DEFAULT_TS_START,
        host: str = "127.0.0.1",
        port: int = 0,
        on_call: Callable[[Call], None] | None = None,
    ) -> None:
        self.tokens: frozenset[str] | None = None if tokens is None else frozenset(tokens)
        self.team_id = team_id
        self.team = team
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        self.bot_name = bot_name
        self.workspace_url = workspace_url if workspace_url.endswith("/") else workspace_url + "/"
        self.on_call = on_call
        """Called with each Call right after it is recorded, in the server thread."""
        self.errors: list[BaseException] = []
        """Exceptions raised inside the stand-in itself or by the on_call hook."""

        self._host = host
        self._requested_port = port
        self._lock = threading.RLock()
        self._cond = threading.Condition(self._lock)
        self._calls: list[Call] = []
        self._faults: dict[str, deque[_Fault]] = {}
        self._users: dict[str, dict[str, Any]] = {}
        self._usergroups: dict[str, list[str]] = {}
        self._messages: dict[str, dict[str, Any]] = {}
        self._views: dict[str, dict[str, Any]] = {}
        self._home_views: dict[str, str] = {}
        self._files: dict[str, dict[str, Any]] = {}
        self._opened: set[str] = set()
        self._mpims: dict[frozenset[str], str] = {}
        self._ts_start = ts_start
        self._ts_counter = 0
        self._id_counter = 0
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._connections: set[socket.socket] = set()
        self._conn_lock = threading.Lock()
        self._methods: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
            "auth.test": self._auth_test,
            "chat.postMessage": self._chat_post_message,
            "chat.update": self._chat_update,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "chat.getPermalink": self._chat_get_permalink,
            "conversations.open": self._conversations_open,
            "views.open": self._views_open,
            "views.push": self._views_push,
            "views.update": self._views_update,
            "views.publish": self._views_publish,
            "users.info": self._users_info,
            "usergroups.users.list": self._usergroups_users_list,
            "files.getUploadURLExternal": self._files_get_upload_url_external,
            "files.completeUploadExternal": self._files_complete_upload_external,
            "files.info": self._files_info,
        }
        for user_id, spec in (users or {}).items():
            self.add_user(user_id, **spec)
        for group_id, members in (usergroups or {}).items():
            self.set_usergroup(group_id, members)

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> SlackStandIn:
        """Start serving in a daemon thread; returns self. Raises if already running."""
        if self._server is not None:
            raise RuntimeError("SlackStandIn is already running")
        self._stopping = threading.Event()
        server = _Server((self._host, self._requested_port), _Handler)
        server.standin = self
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.02},
            name=f"slack-standin:{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, close open connections and join the serving thread. Idempotent."""
        server, thread = self._server, self._thread
        if server is None:
            return
        self._stopping.set()  # wakes delayed answers
        server.shutdown()
        server.server_close()
        with self._conn_lock:
            connections = list(self._connections)
        for conn in connections:  # idle keep-alive connections: unblock their threads
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        if thread is not None:
            thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> SlackStandIn:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._server is not None

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("SlackStandIn is not running: call start() first")
        return self._server.server_address[1]

    @property
    def origin(self) -> str:
        """``http://127.0.0.1:PORT`` (no trailing slash)."""
        return f"http://{self._host}:{self.port}"

    @property
    def url(self) -> str:
        """Base URL for ``WebClient(base_url=...)``, ending in ``/api/``."""
        return f"{self.origin}{_API_PREFIX}"

    # -------------------------------------------------------------- configuration

    def add_user(
        self,
        user_id: str,
        *,
        real_name: str | None = None,
        name: str | None = None,
        tz: str = "UTC",
        tz_label: str | None = None,
        tz_offset: int | None = None,
        **extra: Any,
    ) -> dict[str, Any]:
        """Add (or replace) a user for ``users.info``. Missing tz_offset/tz_label are
        computed for the current instant from the IANA zone. Extra keys are merged
        into the user object."""
        real_name = real_name or user_id
        name = name or real_name.split()[0].lower()
        if tz_offset is None or tz_label is None:
            try:
                now = datetime.now(ZoneInfo(tz))
                offset = now.utcoffset()
                computed_offset = int(offset.total_seconds()) if offset is not None else 0
                computed_label = now.tzname() or tz
            except (ZoneInfoNotFoundError, ValueError):
                computed_offset, computed_label = 0, tz
            tz_offset = computed_offset if tz_offset is None else tz_offset
            tz_label = computed_label if tz_label is None else tz_label
        user: dict[str, Any] = {
            "id": user_id,
            "team_id": self.team_id,
            "name": name,
            "deleted": False,
            "real_name": real_name,
            "tz": tz,
            "tz_label": tz_label,
            "tz_offset": tz_offset,
            "profile": {
                "real_name": real_name,
                "display_name": name,
                "real_name_normalized": real_name,
                "display_name_normalized": name,
                "team": self.team_id,
            },
            "is_admin": False,
            "is_owner": False,
            "is_bot": False,
            "is_app_user": False,
            "updated": self._ts_start,
        }
        user.update(extra)
        with self._lock:
            self._users[user_id] = user
        return copy.deepcopy(user)

    def set_usergroup(self, usergroup_id: str, user_ids: Iterable[str]) -> None:
        """Set the members ``usergroups.users.list`` returns for a user group."""
        with self._lock:
            self._usergroups[usergroup_id] = list(user_ids)

    # ----------------------------------------------------------- fault injection

    def fail_next(
        self,
        method: str,
        status: int = 429,
        retry_after: int = 1,
        count: int = 1,
        error: str | None = None,
    ) -> None:
        """Answer the next ``count`` calls to ``method`` ("*" = any) with an error.

        429 answers carry ``Retry-After: retry_after`` (whole seconds; slack_sdk
        sleeps that plus up to 1 s of jitter) and ``error`` defaults to "ratelimited";
        5xx answers default to "internal_error". ``status=200`` with ``error`` gives
        an ordinary ``{"ok": false}`` API error.
        """
        if int(retry_after) != retry_after or retry_after < 0:
            raise ValueError("retry_after must be a whole number of seconds >= 0")
        if status == 429:
            error = error or "ratelimited"
        elif status >= 500:
            error = error or "internal_error"
        else:
            error = error or "invalid_request"
        self._add_fault(
            method,
            _Fault(
                "status",
                count,
                status=status,
                retry_after=int(retry_after) if status == 429 else None,
                error=error,
            ),
        )

    def delay_next(self, method: str, seconds: float, count: int = 1) -> None:
        """Answer the next ``count`` calls to ``method`` ("*" = any) ``seconds`` late.
        The call takes effect on arrival; only the answer waits."""
        if seconds < 0:
            raise ValueError("seconds must be >= 0")
        self._add_fault(method, _Fault("delay", count, seconds=seconds))

    def drop_next(self, method: str, count: int = 1) -> None:
        """Close the connection without answering the next ``count`` calls to
        ``method`` ("*" = any); the client sees RemoteDisconnected. No side effect."""
        self._add_fault(method, _Fault("drop", count))

    def _add_fault(self, method: str, fault: _Fault) -> None:
        if fault.remaining < 1:
            raise ValueError("count must be >= 1")
        with self._lock:
            self._faults.setdefault(method, deque()).append(fault)

    def _take_fault(self, method: str) -> _Fault | None:
        for key in (method, ANY_METHOD):
            queue = self._faults.get(key)
            if queue:
                fault = queue[0]
                fault.remaining -= 1
                if fault.remaining <= 0:
                    queue.popleft()
                return fault
        return None

    # ---------------------------------------------------------------- inspection

    @property
    def calls(self) -> list[Call]:
        """A snapshot of every recorded call, in arrival order."""
        with self._lock:
            return list(self._calls)

    def calls_to(self, method: str) -> list[Call]:
        """Recorded calls to ``method``, injected failures included."""
        with self._lock:
            return [c for c in self._calls if c.method == method]

    def dm_channel(self, user_id: str) -> str:
        """The DM channel id the stand-in uses for the bot's DM with ``user_id``."""
        return f"D{user_id}"

    def messages_to(self, channel_or_user: str) -> list[dict[str, Any]]:
        """Messages posted with chat.postMessage to a channel, or to a user id / its DM
        channel, oldest first. Each is a copy of the message's current state
        (``channel``, ``ts``, ``text``, ``blocks``, ``thread_ts``, ``attachments``,
        ``edited`` after a chat.update)."""
        channel = self._resolve_channel(channel_or_user)
        with self._lock:
            return [copy.deepcopy(m) for m in self._messages.values() if m["channel"] == channel]

    def message(self, ts: str) -> dict[str, Any] | None:
        """The current state of the message with ``ts``, or None."""
        with self._lock:
            found = self._messages.get(ts)
            return copy.deepcopy(found) if found is not None else None

    def view(self, view_id: str) -> dict[str, Any] | None:
        with self._lock:
            found = self._views.get(view_id)
            return copy.deepcopy(found) if found is not None else None

    def home_view(self, user_id: str) -> dict[str, Any] | None:
        """The view last published to ``user_id``'s Home tab, or None."""
        with self._lock:
            view_id = self._home_views.get(user_id)
            return self.view(view_id) if view_id else None

    def file(self, file_id: str) -> dict[str, Any] | None:
        """What the stand-in knows of a file, including uploaded ``content`` bytes."""
        with self._lock:
            found = self._files.get(file_id)
            return copy.deepcopy(found) if found is not None else None

    def clear(self) -> None:
        """Forget recorded calls, messages, views, files, opened conversations and
        pending faults. Users, user groups, tokens and the ts counter are kept."""
        with self._lock:
            self._calls.clear()
            self._faults.clear()
            self._messages.clear()
            self._views.clear()
            self._home_views.clear()
            self._files.clear()
            self._opened.clear()
            self._mpims.clear()
            self.errors.clear()

    def wait_for(
        self,
        predicate: Callable[[Call], bool],
        timeout: float = 5.0,
        *,
        count: int = 1,
        description: str | None = None,
    ) -> list[Call]:
        """Block until at least ``count`` recorded calls satisfy ``predicate``; return
        all calls that do. Raises AssertionError listing what was recorded on timeout."""
        found: list[Call] = []

        def enough() -> bool:
            nonlocal found
            found = [c for c in self._calls if predicate(c)]
            return len(found) >= count

        with self._cond:
            if self._cond.wait_for(enough, timeout):
                return found
            recorded = list(self._calls)
        what = description or getattr(predicate, "__name__", repr(predicate))
        raise AssertionError(self._timeout_report(what, count, len(found), timeout, recorded))

    def wait_for_calls(self, method: str, count: int = 1, timeout: float = 5.0) -> list[Call]:
        """Block until ``count`` calls to ``method`` (any outcome) have been recorded."""
        return self.wait_for(
            lambda c: c.method == method,
            timeout,
            count=count,
            description=f"method == {method!r}",
        )

    @staticmethod
    def _timeout_report(
        what: str, count: int, matched: int, timeout: float, recorded: list[Call]
    ) -> str:
        lines = [
            f"SlackStandIn.wait_for timed out after {timeout:g}s: wanted {count} call(s) "
            f"matching {what}, found {matched}. Recorded {len(recorded)} call(s):"
        ]
        origin = recorded[0].at if recorded else None
        shown = recorded[-50:]
        if len(recorded) > len(shown):
            lines.append(f"  ... {len(recorded) - len(shown)} earlier call(s) not shown")
        lines.extend(f"  {c.describe(origin)}" for c in shown)
        if not recorded:
            lines.append("  (none)")
        return "\n".join(lines)

    # ------------------------------------------------------------ request entry

    def _handle(
        self, path: str, headers: Any, body: bytes, arrived: float, thread_id: int
    ) -> _Outcome:
        split = urlsplit(path)
        if split.path.startswith(_API_PREFIX):
            method = split.path[len(_API_PREFIX) :]
            return self._handle_api(method, split.query, headers, body, arrived, thread_id)
        if split.path.startswith(_UPLOAD_PREFIX):
            file_id = split.path[len(_UPLOAD_PREFIX) :]
            return self._handle_upload(file_id, body, arrived, thread_id)
        response = {"ok": False, "error": "unknown_path"}
        self._record(Call(split.path, {}, arrived, thread_id, None, 404, response))
        return _json_outcome(404, response)

    def _handle_api(
        self, method: str, query: str, headers: Any, body: bytes, arrived: float, thread_id: int
    ) -> _Outcome:
        params: dict[str, Any] = {}
        token: str | None = None
        parse_error: str | None = None
        try:
            params = _parse_params(headers.get("Content-Type", ""), body, query)
        except _ApiError as e:
            parse_error = e.error
        body_token = params.pop("token", None)
        auth = headers.get("Authorization", "")
        if auth[:7].lower() == "bearer ":
            token = auth[7:].strip() or None
        if token is None and isinstance(body_token, str) and body_token:
            token = body_token

        with self._lock:
            fault = self._take_fault(method)
            outcome_fault: str | None = None
            delay = 0.0
            if fault is not None and fault.kind == "drop":
                call = Call(method, params, arrived, thread_id, token, 0, None, "drop")
                outcome = _Outcome(0, b"", drop=True)
            elif fault is not None and fault.kind == "status":
                response = {"ok": False, "error": fault.error}
                extra_headers: tuple[tuple[str, str], ...] = ()
                if fault.retry_after is not None:
                    extra_headers = (("Retry-After", str(fault.retry_after)),)
                call = Call(
                    method,
                    params,
                    arrived,
                    thread_id,
                    token,
                    status=fault.status,
                    response=response,
                    fault=str(fault.status),
                )
                outcome = _json_outcome(fault.status, response, extra_headers)
            else:
                if fault is not None:  # delay
                    outcome_fault, delay = "delay", fault.seconds
                if parse_error is not None:
                    response = {"ok": False, "error": parse_error}
                else:
                    response = self._dispatch(method, params, token)
                call = Call(method, params, arrived, thread_id, token, 200, response, outcome_fault)
                outcome = _json_outcome(200, response)
                outcome.delay = delay
            self._record_locked(call)
        self._run_hook(call)
        return outcome

    def _handle_upload(self, file_id: str, body: bytes, arrived: float, thread_id: int) -> _Outcome:
        params = {"file_id": file_id, "length": len(body)}
        with self._lock:
            fault = self._take_fault(UPLOAD_METHOD)
            if fault is not None and fault.kind == "drop":
                call = Call(UPLOAD_METHOD, params, arrived, thread_id, None, 0, None, "drop")
                outcome = _Outcome(0, b"", drop=True)
            elif fault is not None and fault.kind == "status":
                response = {"ok": False, "error": fault.error}
                call = Call(
                    UPLOAD_METHOD,
                    params,
                    arrived,
                    thread_id,
                    status=fault.status,
                    response=response,
                    fault=str(fault.status),
                )
                outcome = _Outcome(fault.status, f"{fault.error}".encode(), "text/plain")
            else:
                stored = self._files.get(file_id)
                if stored is None:
                    response = {"ok": False, "error": "file_not_found"}
                    call = Call(UPLOAD_METHOD, params, arrived, thread_id, None, 404, response)
                    outcome = _Outcome(404, b"file_not_found", "text/plain")
                else:
                    stored["content"] = bytes(body)
                    stored["size"] = len(body)
                    response = {"ok": True}
                    fault_name = "delay" if fault is not None else None
                    call = Call(
                        UPLOAD_METHOD, params, arrived, thread_id, None, 200, response, fault_name
                    )
                    outcome = _Outcome(200, f"OK - {len(body)}".encode(), "text/plain")
                    outcome.delay = fault.seconds if fault is not None else 0.0
            self._record_locked(call)
        self._run_hook(call)
        return outcome

    def _record(self, call: Call) -> None:
        with self._lock:
            self._record_locked(call)
        self._run_hook(call)

    def _record_locked(self, call: Call) -> None:
        self._calls.append(call)
        self._cond.notify_all()

    def _run_hook(self, call: Call) -> None:
        hook = self.on_call
        if hook is None:
            return
        try:
            hook(call)
        except Exception as e:  # a broken hook must not break the server
            self.errors.append(e)

    def _dispatch(self, method: str, params: dict[str, Any], token: str | None) -> dict[str, Any]:
        handler = self._methods.get(method)
        if handler is None:
            return {"ok": False, "error": "unknown_method", "req_method": method}
        if not token:
            return {"ok": False, "error": "not_authed"}
        accepted = token in self.tokens if self.tokens is not None else token.startswith("xoxb-")
        if not accepted:
            return {"ok": False, "error": "invalid_auth"}
        try:
            return handler(params)
        except _ApiError as e:
            return {"ok": False, "error": e.error, **e.extra}
        except Exception as e:  # a stand-in bug: answer, and keep it for the test to see
            self.errors.append(e)
            return {"ok": False, "error": "internal_error", "standin_exception": repr(e)}

    # ----------------------------------------------------------------- helpers

    def _next_ts(self) -> str:
        self._ts_counter += 1
        micros = self._ts_counter * 100
        return f"{self._ts_start + micros // 1_000_000}.{micros % 1_000_000:06d}"

    def _next_id(self, prefix: str) -> str:
        self._id_counter += 1
        return f"{prefix}0STANDIN{self._id_counter:05d}"

    def _resolve_channel(self, channel: str) -> str:
        return self.dm_channel(channel) if _USER_ID.match(channel) else channel

    def _message_payload(self, stored: dict[str, Any]) -> dict[str, Any]:
        message: dict[str, Any] = {
            "type": "message",
            "user": self.bot_user_id,
            "bot_id": self.bot_id,
            "team": self.team_id,
            "text": stored["text"],
            "ts": stored["ts"],
        }
        for key in ("blocks", "attachments", "thread_ts", "metadata", "edited"):
            if stored.get(key) is not None:
                message[key] = copy.deepcopy(stored[key])
        return message

    # ------------------------------------------------------------------ methods

    def _auth_test(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True,
            "url": self.workspace_url,
            "team": self.team,
            "user": self.bot_name,
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
            "is_enterprise_install": False,
        }

    def _chat_post_message(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = _require(params, "channel", "channel_not_found")
        _require_content(params)
        channel = self._resolve_channel(channel)
        ts = self._next_ts()
        stored = {
            "channel": channel,
            "ts": ts,
            "text": params.get("text") or "",
            "blocks": params.get("blocks"),
            "attachments": params.get("attachments"),
            "thread_ts": params.get("thread_ts") or None,
            "metadata": params.get("metadata"),
            "edited": None,
        }
        self._messages[ts] = stored
        return {"ok": True, "channel": channel, "ts": ts, "message": self._message_payload(stored)}

    def _chat_update(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._resolve_channel(_require(params, "channel", "channel_not_found"))
        ts = _require(params, "ts", "message_not_found")
        stored = self._messages.get(str(ts))
        if stored is None or stored["channel"] != channel:
            raise _ApiError("message_not_found")
        _require_content(params)
        for key in ("text", "blocks", "attachments", "metadata"):
            if key in params:  # omitted fields are kept, as on Slack
                stored[key] = params[key] if key != "text" else (params[key] or "")
        stored["edited"] = {"user": self.bot_user_id, "ts": self._next_ts()}
        return {
            "ok": True,
            "channel": channel,
            "ts": stored["ts"],
            "text": stored["text"],
            "message": self._message_payload(stored),
        }

    def _chat_post_ephemeral(self, params: dict[str, Any]) -> dict[str, Any]:
        _require(params, "channel", "channel_not_found")
        _require(params, "user", "user_not_found")
        _require_content(params)
        return {"ok": True, "message_ts": self._next_ts()}

    def _chat_get_permalink(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._resolve_channel(_require(params, "channel", "channel_not_found"))
        ts = str(_require(params, "message_ts", "message_not_found"))
        stored = self._messages.get(ts)
        if stored is None or stored["channel"] != channel:
            raise _ApiError("message_not_found")
        link = f"{self.workspace_url}archives/{channel}/p{ts.replace('.', '')}"
        if stored.get("thread_ts"):
            link += f"?thread_ts={stored['thread_ts']}&cid={channel}"
        return {"ok": True, "channel": channel, "permalink": link}

    def _conversations_open(self, params: dict[str, Any]) -> dict[str, Any]:
        if params.get("channel"):
            return {"ok": True, "channel": {"id": params["channel"]}}
        raw = params.get("users")
        users = raw if isinstance(raw, list) else [u.strip() for u in str(raw or "").split(",")]
        users = [u for u in users if u]
        if not users:
            raise _ApiError("users_list_not_supplied")
        for user_id in users:
            if not _USER_ID.match(user_id):
                raise _ApiError("user_not_found")
        if len(users) == 1:
            channel: dict[str, Any] = {
                "id": self.dm_channel(users[0]),
                "is_im": True,
                "user": users[0],
            }
        else:
            key = frozenset(users)
            if key not in self._mpims:
                self._mpims[key] = self._next_id("G")
            channel = {"id": self._mpims[key], "is_mpim": True}
        already_open = channel["id"] in self._opened
        self._opened.add(channel["id"])
        return {"ok": True, "no_op": already_open, "already_open": already_open, "channel": channel}

    def _new_view(
        self, view: Any, *, view_id: str | None = None, previous: str | None = None
    ) -> dict[str, Any]:
        if not isinstance(view, dict) or not view.get("type"):
            raise _ApiError("invalid_arguments")
        view_id = view_id or self._next_id("V")
        stored = {
            "id": view_id,
            "team_id": self.team_id,
            "type": view["type"],
            "blocks": [],
            "private_metadata": "",
            "callback_id": "",
            "external_id": "",
            "state": {"values": {}},
            "hash": f"{self._ts_start}.{self._next_id('h')}",
            "clear_on_close": False,
            "notify_on_close": False,
            "previous_view_id": previous,
            "root_view_id": view_id,
            "app_id": "A0STANDIN",
            "bot_id": self.bot_id,
        }
        stored.update(copy.deepcopy(view))
        stored["id"] = view_id
        self._views[view_id] = stored
        return copy.deepcopy(stored)

    def _views_open(self, params: dict[str, Any]) -> dict[str, Any]:
        _require(params, "trigger_id", "invalid_arguments")
        return {"ok": True, "view": self._new_view(params.get("view"))}

    def _views_push(self, params: dict[str, Any]) -> dict[str, Any]:
        _require(params, "trigger_id", "invalid_arguments")
        return {"ok": True, "view": self._new_view(params.get("view"))}

    def _views_update(self, params: dict[str, Any]) -> dict[str, Any]:
        view_id = params.get("view_id")
        external_id = params.get("external_id")
        if not view_id and external_id:
            view_id = next(
                (v["id"] for v in self._views.values() if v.get("external_id") == external_id),
                None,
            )
        if not view_id or view_id not in self._views:
            raise _ApiError("not_found")
        current = self._views[view_id]
        if params.get("hash") and params["hash"] != current["hash"]:
            raise _ApiError("hash_conflict")
        view = self._new_view(
            params.get("view"), view_id=view_id, previous=current.get("previous_view_id")
        )
        return {"ok": True, "view": view}

    def _views_publish(self, params: dict[str, Any]) -> dict[str, Any]:
        user_id = _require(params, "user_id", "invalid_arguments")
        view = params.get("view")
        if isinstance(view, dict) and view.get("type") != "home":
            raise _ApiError("invalid_arguments")
        current_id = self._home_views.get(user_id)
        if current_id and params.get("hash") and params["hash"] != self._views[current_id]["hash"]:
            raise _ApiError("hash_conflict")
        published = self._new_view(view, view_id=current_id)
        self._home_views[user_id] = published["id"]
        return {"ok": True, "view": published}

    def _users_info(self, params: dict[str, Any]) -> dict[str, Any]:
        user = self._users.get(str(params.get("user") or ""))
        if user is None:
            raise _ApiError("user_not_found")
        return {"ok": True, "user": copy.deepcopy(user)}

    def _usergroups_users_list(self, params: dict[str, Any]) -> dict[str, Any]:
        members = self._usergroups.get(str(params.get("usergroup") or ""))
        if members is None:
            raise _ApiError("no_such_subteam")
        return {"ok": True, "users": list(members)}

    def _files_get_upload_url_external(self, params: dict[str, Any]) -> dict[str, Any]:
        filename = _require(params, "filename", "invalid_arguments")
        try:
            length = int(_require(params, "length", "invalid_arguments"))
        except (TypeError, ValueError):
            raise _ApiError("invalid_arguments") from None
        file_id = self._next_id("F")
        self._files[file_id] = {
            "id": file_id,
            "name": filename,
            "title": filename,
            "size": length,
            "alt_txt": params.get("alt_txt"),
            "snippet_type": params.get("snippet_type"),
            "created": self._ts_start,
            "content": None,
            "completed": False,
            "channels": [],
            "initial_comment": None,
            "thread_ts": None,
        }
        upload_url = f"{self.origin}{_UPLOAD_PREFIX}{file_id}"
        return {"ok": True, "upload_url": upload_url, "file_id": file_id}

    def _file_object(self, stored: dict[str, Any]) -> dict[str, Any]:
        name = stored["name"]
        filetype = name.rsplit(".", 1)[-1].lower() if "." in name else "binary"
        return {
            "id": stored["id"],
            "created": stored["created"],
            "timestamp": stored["created"],
            "name": name,
            "title": stored["title"],
            "filetype": filetype,
            "user": self.bot_user_id,
            "size": stored["size"],
            "channels": list(stored["channels"]),
            "permalink": f"{self.workspace_url}files/{self.bot_user_id}/{stored['id']}/{name}",
        }

    def _files_complete_upload_external(self, params: dict[str, Any]) -> dict[str, Any]:
        entries = params.get("files")
        if not isinstance(entries, list) or not entries:
            raise _ApiError("invalid_arguments")
        channels: list[str] = []
        if params.get("channel_id"):
            channels.append(self._resolve_channel(str(params["channel_id"])))
        if params.get("channels"):
            channels += [self._resolve_channel(c) for c in str(params["channels"]).split(",") if c]
        done = []
        for entry in entries:
            stored = self._files.get(str(entry.get("id")) if isinstance(entry, dict) else "")
            if stored is None or stored["content"] is None:  # unknown, or bytes never arrived
                raise _ApiError("file_not_found")
            done.append((stored, entry))
        result = []
        for stored, entry in done:
            stored["title"] = entry.get("title") or stored["title"]
            stored["completed"] = True
            stored["channels"] = channels
            stored["initial_comment"] = params.get("initial_comment")
            stored["thread_ts"] = params.get("thread_ts")
            result.append(self._file_object(stored))
        return {"ok": True, "files": result}

    def _files_info(self, params: dict[str, Any]) -> dict[str, Any]:
        stored = self._files.get(str(params.get("file") or ""))
        if stored is None or not stored["completed"]:
            raise _ApiError("file_not_found")
        return {"ok": True, "file": self._file_object(stored)}


# ---------------------------------------------------------------------- parsing


def _require(params: dict[str, Any], key: str, error: str) -> Any:
    value = params.get(key)
    if value is None or value == "":
        raise _ApiError(error)
    return value


def _require_content(params: dict[str, Any]) -> None:
    if not any(params.get(k) for k in ("text", "blocks", "attachments")):
        raise _ApiError("no_text")


def _parse_params(content_type: str, body: bytes, query: str) -> dict[str, Any]:
    params: dict[str, Any] = dict(parse_qsl(query, keep_blank_values=True))
    kind = content_type.split(";", 1)[0].strip().lower()
    if body:
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            raise _ApiError("invalid_form_data") from None
        if kind == "application/json":
            try:
                data = json.loads(text)
            except json.JSONDecodeError:
                raise _ApiError("invalid_json") from None
            if not isinstance(data, dict):
                raise _ApiError("invalid_json")
            params.update(data)
        else:
            params.update(parse_qsl(text, keep_blank_values=True))
    for key in _JSON_FIELDS:
        value = params.get(key)
        if isinstance(value, str) and value[:1] in ("[", "{"):
            with contextlib.suppress(json.JSONDecodeError):
                params[key] = json.loads(value)
    return params


def _json_outcome(
    status: int, response: dict[str, Any], headers: tuple[tuple[str, str], ...] = ()
) -> _Outcome:
    body = json.dumps(response, separators=(",", ":")).encode("utf-8")
    return _Outcome(status, body, headers=headers)


# ------------------------------------------------------------------------ server


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    request_queue_size = 128
    standin: SlackStandIn

    def handle_error(self, request: Any, client_address: Any) -> None:
        exc = sys.exc_info()[1]
        if isinstance(exc, ConnectionError | TimeoutError) or self.standin._stopping.is_set():
            return  # the client went away (e.g. it timed out); nothing to report
        if exc is not None:
            self.standin.errors.append(exc)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "SlackStandIn/1.0"
    sys_version = ""
    disable_nagle_algorithm = True
    timeout = 60  # idle keep-alive connections are closed after this
    server: _Server

    def setup(self) -> None:
        super().setup()
        with self.server.standin._conn_lock:
            self.server.standin._connections.add(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            with self.server.standin._conn_lock:
                self.server.standin._connections.discard(self.connection)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # no per-request logging

    def do_POST(self) -> None:
        arrived = time.monotonic()
        standin = self.server.standin
        try:
            body = self._read_body()
        except ValueError:
            self.close_connection = True
            self.send_error(400, "bad request body")
            return
        outcome = standin._handle(self.path, self.headers, body, arrived, threading.get_ident())
        if outcome.delay > 0 and standin._stopping.wait(outcome.delay):
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


def serve_forever(port: int = 0, **options: Any) -> None:
    """Run a stand-in in the foreground until interrupted (for poking at it by hand)."""
    standin = SlackStandIn(port=port, **options).start()
    print(f"Slack Web API stand-in on {standin.url} (Ctrl-C to stop)", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        standin.stop()


def _main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Run the local Slack Web API stand-in.")
    parser.add_argument("--port", type=int, default=0, help="port to listen on (0 = any free)")
    serve_forever(parser.parse_args(argv).port)


if __name__ == "__main__":
    _main()
