"""``SlackStandIn``: the stand-in put together. Its lifecycle, configuration, fault
injection and queries, and the routing of each request to the Web API, an upload, or a
path a test serves itself."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from typing import Any, ClassVar
from urllib.parse import urlsplit

from bot.demo.slack_standin.faults import (
    Fault,
    FaultQueue,
    FaultWindow,
    Where,
    delay_fault,
    drop_fault,
    fault_window,
    faulted_answer,
    lost_fault,
    status_fault,
)
from bot.demo.slack_standin.limits import RateLimits
from bot.demo.slack_standin.recording import Call, CallLog
from bot.demo.slack_standin.server import (
    Outcome,
    StandInServer,
    json_outcome,
    parse_params,
    request_token,
)
from bot.demo.slack_standin.web_api import (
    DEFAULT_TS_START,
    UPLOAD_PREFIX,
    ApiError,
    Workspace,
)

UPLOAD_METHOD = "upload"
RATE_LIMITED = "ratelimited"  # Call.fault of a 429 the modelled limits answered
API_PREFIX = "/api/"

PathHandler = Callable[[bytes], dict[str, Any]]
"""Answers a POST to a path served with ``serve_path``: its body in, the JSON out."""


class SlackStandIn:
    """Local Slack Web API stand-in. See the package docstring."""

    on_start: ClassVar[list[Callable[[SlackStandIn], None]]] = []
    """Called with each stand-in as it starts: a test suite can collect every stand-in
    its tests start, wherever they start it, to check everything they recorded."""

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
        ts_start: int = DEFAULT_TS_START,
        host: str = "127.0.0.1",
        port: int = 0,
        on_call: Callable[[Call], None] | None = None,
        latency: float = 0.0,
        clock: Callable[[], float] = time.monotonic,
        rate_limits: RateLimits | None = None,
    ) -> None:
        self.tokens: frozenset[str] | None = None if tokens is None else frozenset(tokens)
        self.on_call = on_call
        """Called with each Call right after it is recorded, in the server thread."""
        self.before_call: Callable[[str, dict[str, Any]], None] | None = None
        """Called with each Web API call's method and params before it takes effect (in
        the server thread): a test that blocks here holds a call on its way to Slack."""
        self.errors: list[BaseException] = []
        """Exceptions raised inside the stand-in itself or by the on_call hook."""
        self.stopping = threading.Event()
        """Set while stopping: late answers give up waiting."""
        self.workspace = Workspace(
            origin=lambda: self.origin,
            team_id=team_id,
            team=team,
            bot_user_id=bot_user_id,
            bot_id=bot_id,
            bot_name=bot_name,
            workspace_url=workspace_url,
            ts_start=ts_start,
        )
        self._host = host
        self._requested_port = port
        # One lock for the workspace, the faults and the log: a call's effect and its
        # record appear together.
        self._lock = threading.RLock()
        self._log = CallLog(self._lock)
        self._faults = FaultQueue()
        self._clock = clock  # fault windows and rate limits run on it (a test may fake it)
        self.rate_limits = rate_limits
        """Slack's limits in force (None: off, the default); see ``limits``."""
        self._latency = 0.0
        self.latency = latency
        self._received: dict[str, float] = {}  # message ts -> wall clock of its post
        self._paths: dict[str, PathHandler] = {}
        self._server: StandInServer | None = None
        self._thread: threading.Thread | None = None
        for user_id, spec in (users or {}).items():
            self.add_user(user_id, **spec)
        for group_id, members in (usergroups or {}).items():
            self.set_usergroup(group_id, members)

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> SlackStandIn:
        """Start serving in a daemon thread; returns self. Raises if already running."""
        if self._server is not None:
            raise RuntimeError("SlackStandIn is already running")
        self.stopping = threading.Event()
        server = StandInServer((self._host, self._requested_port), self)
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever,
                                        kwargs={"poll_interval": 0.02},
                                        name=f"slack-standin:{self.port}", daemon=True)
        self._thread.start()
        for hook in list(SlackStandIn.on_start):
            hook(self)
        return self

    def stop(self) -> None:
        """Stop serving, close open connections and join the serving thread. Idempotent."""
        server, thread = self._server, self._thread
        if server is None:
            return
        self.stopping.set()  # wakes delayed answers
        server.shutdown()
        server.server_close()
        server.cut_connections()
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
        return f"{self.origin}{API_PREFIX}"

    # -------------------------------------------------------------- configuration

    def add_user(self, user_id: str, **spec: Any) -> dict[str, Any]:
        """Add (or replace) a user for ``users.info`` (``real_name``, ``name``, ``tz``,
        ``tz_label``, ``tz_offset``, extra keys merged in); see ``Workspace.add_user``."""
        with self._lock:
            return self.workspace.add_user(user_id, **spec)

    @property
    def latency(self) -> float:
        """Seconds every Web API call takes to answer (0: at once; real Slack takes
        100-300 ms). See the package docstring; settable while running."""
        return self._latency

    @latency.setter
    def latency(self, seconds: float) -> None:
        if not seconds >= 0:  # also refuses NaN
            raise ValueError("latency must be a number of seconds >= 0")
        self._latency = float(seconds)
    def user(self, user_id: str) -> dict[str, Any] | None:
        """The user ``users.info`` answers for ``user_id`` (a copy), or None."""
        with self._lock:
            try:
                return self.workspace.methods["users.info"]({"user": user_id})["user"]
            except ApiError:
                return None

    def set_usergroup(self, usergroup_id: str, user_ids: Iterable[str]) -> None:
        """Set the members ``usergroups.users.list`` returns for a user group."""
        with self._lock:
            self.workspace.set_usergroup(usergroup_id, user_ids)

    def usergroup(self, usergroup_id: str) -> list[str] | None:
        """The members a user group holds now (None: never set)."""
        with self._lock:
            return self.workspace.usergroup_members(usergroup_id)

    def serve_path(self, prefix: str, handler: PathHandler) -> None:
        """Answer POSTs to paths starting with ``prefix`` (outside ``/api/``) with
        ``handler(body)``, HTTP 200; they are recorded with the path as the method.
        For addresses Slack hosts besides the Web API, such as ``response_url``s."""
        with self._lock:
            self._paths[prefix] = handler

    # ----------------------------------------------------------- fault injection

    def fail_next(self, method: str, status: int = 429, retry_after: int = 1, count: int = 1,
                  error: str | None = None, where: Where | None = None) -> None:
        """Answer the next ``count`` calls to ``method`` ("*" = any) with an error.

        429 answers carry ``Retry-After: retry_after`` (whole seconds; slack_sdk
        sleeps that plus up to 1 s of jitter) and ``error`` defaults to "ratelimited";
        5xx answers default to "internal_error". ``status=200`` with ``error`` gives
        an ordinary ``{"ok": false}`` API error. ``where``: only calls whose params
        hold these values count (e.g. ``{"channel": "C1"}``: posts to one channel), or
        pass this test on the params (e.g. ``faults.channel_posts``).
        """
        self._add_fault(method, status_fault(status, retry_after, count, error, where))

    def delay_next(self, method: str, seconds: float, count: int = 1) -> None:
        """Answer the next ``count`` calls to ``method`` ("*" = any) ``seconds`` late.
        The call takes effect on arrival; only the answer waits."""
        self._add_fault(method, delay_fault(seconds, count))

    def drop_next(self, method: str, count: int = 1, done: bool = False) -> None:
        """Close the connection without answering the next ``count`` calls to
        ``method`` ("*" = any); the client sees RemoteDisconnected. No side effect,
        unless ``done``: carried out first (a create whose id never reached the caller)."""
        self._add_fault(method, lost_fault(count) if done else drop_fault(count))

    def clear_faults(self) -> None:
        """Drop every fault still queued: Slack is well again."""
        with self._lock:
            self._faults.clear()

    def _add_fault(self, method: str, fault: Fault) -> None:
        with self._lock:
            self._faults.add(method, fault)

    def fault_window(
        self,
        seconds: float,
        *,
        ratelimited: float = 0.0,
        server_error: float = 0.0,
        retry_after: int = 1,
        methods: Iterable[str] | None = None,
        where: Where | None = None,
        seed: int = 0,
        starts_in: float = 0.0,
    ) -> FaultWindow:
        """For ``seconds`` from now (or from ``starts_in`` on, on the stand-in's clock),
        answer 429 (``Retry-After: retry_after``) to a share ``ratelimited`` of the
        matching calls and 500 to a share ``server_error``; ``methods`` (None: any) and
        ``where`` (param values, or a test such as ``faults.channel_posts``) pick the
        calls. Seeded draws in arrival order; queued faults go first. Returns the window
        (``faults.FaultWindow``: its counters say what it did)."""
        with self._lock:
            window = fault_window(self._clock(), seconds, ratelimited=ratelimited,
                                  server_error=server_error, retry_after=retry_after,
                                  methods=methods, where=where, seed=seed,
                                  starts_in=starts_in)
            self._faults.add_window(window)
        return window

    def limit_rates(self, limits: RateLimits | None = None) -> RateLimits:
        """Turn Slack's rate limits on (``limits.RateLimits()`` by default); returns them.
        ``rate_limits = None`` turns them off."""
        with self._lock:
            self.rate_limits = limits or RateLimits()
            return self.rate_limits

    def rate_limited(self) -> list[Call]:
        """The calls the modelled limits answered 429, in arrival order."""
        return [c for c in self.calls if c.fault == RATE_LIMITED]

    def end_fault_windows(self) -> None:
        """Close every fault window now, started or not."""
        with self._lock:
            self._faults.end_windows(self._clock())

    # ---------------------------------------------------------------- inspection

    @property
    def calls(self) -> list[Call]:
        """A snapshot of every recorded call, in arrival order."""
        return self._log.calls

    def calls_to(self, method: str) -> list[Call]:
        """Recorded calls to ``method``, injected failures included."""
        return self._log.calls_to(method)

    def wait_for(self, predicate: Callable[[Call], bool], timeout: float = 5.0, *,
                 count: int = 1, description: str | None = None) -> list[Call]:
        """Block until at least ``count`` recorded calls satisfy ``predicate``; return
        all calls that do. Raises AssertionError listing what was recorded on timeout."""
        return self._log.wait_for(predicate, timeout, count=count, description=description)

    def wait_for_calls(self, method: str, count: int = 1, timeout: float = 5.0) -> list[Call]:
        """Block until ``count`` calls to ``method`` (any outcome) have been recorded."""
        return self.wait_for(lambda c: c.method == method, timeout, count=count,
                             description=f"method == {method!r}")

    def dm_channel(self, user_id: str) -> str:
        """The DM channel id the stand-in uses for the bot's DM with ``user_id``."""
        return self.workspace.dm_channel(user_id)

    def messages_to(self, channel_or_user: str) -> list[dict[str, Any]]:
        """Messages posted with chat.postMessage to a channel, or to a user id / its DM
        channel, oldest first. Each is a copy of the message's current state
        (``channel``, ``ts``, ``text``, ``blocks``, ``thread_ts``, ``attachments``,
        ``edited`` after a chat.update) with ``received``: when its post reached the
        stand-in (wall clock, ``time.time()``)."""
        with self._lock:
            return [self._stamped(m) for m in self.workspace.messages_to(channel_or_user)]

    def message(self, ts: str) -> dict[str, Any] | None:
        """The current state of the message with ``ts`` (with ``received``), or None."""
        with self._lock:
            found = self.workspace.message(ts)
            return None if found is None else self._stamped(found)

    def received_at(self, ts: str) -> float | None:
        """When the chat.postMessage that made the message ``ts`` reached the stand-in
        (wall clock, ``time.time()``), or None for no such message."""
        with self._lock:
            return self._received.get(ts)

    def _stamped(self, message: dict[str, Any]) -> dict[str, Any]:
        message["received"] = self._received.get(message.get("ts", ""))
        return message

    def view(self, view_id: str) -> dict[str, Any] | None:
        with self._lock:
            return self.workspace.view(view_id)

    def home_view(self, user_id: str) -> dict[str, Any] | None:
        """The view last published to ``user_id``'s Home tab, or None."""
        with self._lock:
            return self.workspace.home_view(user_id)

    def file(self, file_id: str) -> dict[str, Any] | None:
        """What the stand-in knows of a file, including uploaded ``content`` bytes."""
        with self._lock:
            return self.workspace.file(file_id)

    def clear(self) -> None:
        """Forget recorded calls, messages, views, files, opened conversations and
        pending faults. Users, user groups, tokens and the ts counter are kept."""
        with self._lock:
            self._log.clear()
            self._faults.clear()
            self.workspace.clear()
            self._received.clear()
            self.errors.clear()

    # ------------------------------------------------------------ request entry

    def handle_request(
        self, path: str, headers: Any, body: bytes, arrived: float, thread_id: int,
        received: float = 0.0,
    ) -> Outcome:
        """Answer one HTTP request (called by the server, in its thread) and record it.
        ``arrived``: time.monotonic() at arrival; ``received``: the wall clock then."""
        split = urlsplit(path)
        if split.path.startswith(API_PREFIX):
            method = split.path[len(API_PREFIX) :]
            call, outcome = self._api_call(method, split.query, headers, body,
                                           arrived, thread_id, received)
        elif split.path.startswith(UPLOAD_PREFIX):
            file_id = split.path[len(UPLOAD_PREFIX) :]
            call, outcome = self._upload(file_id, body, arrived, thread_id, received)
        else:
            call, outcome = self._other_path(split.path, body, arrived, thread_id, received)
        self._run_hook(self.on_call, call)
        return outcome

    def _api_call(
        self, method: str, query: str, headers: Any, body: bytes, arrived: float,
        thread_id: int, received: float
    ) -> tuple[Call, Outcome]:
        params: dict[str, Any] = {}
        parse_error: str | None = None
        try:
            params = parse_params(headers.get("Content-Type", ""), body, query)
        except ApiError as e:
            parse_error = e.error
        token = request_token(headers, params.pop("token", None))
        self._run_hook(self.before_call, method, params)
        latency = self._latency  # read once: a change applies to the calls after it
        with self._lock:
            fault = self._faults.take(method, params, self._clock())
            limited = fault is None and self._over_limit(method, params)
            if limited:
                fault = status_fault(429, limited, 1, None)
            if fault is not None and fault.kind not in ("delay", "lost"):
                arrival = Call(method, params, arrived, thread_id, token, received=received)
                call, outcome = faulted_answer(arrival, fault)
                if limited:  # Slack's own limit, not a fault a test queued
                    call = replace(call, fault=RATE_LIMITED)
            else:
                response = (
                    {"ok": False, "error": parse_error}
                    if parse_error is not None
                    else self._dispatch(method, params, token)
                )
                call = Call(method, params, arrived, thread_id, token, 200, response,
                            fault.kind if fault is not None else None, received)
                outcome = json_outcome(200, response)
                outcome.delay = fault.seconds if fault is not None else 0.0
                outcome.drop = fault is not None and fault.kind == "lost"
                if method == "chat.postMessage" and response.get("ok"):
                    self._received[str(response.get("ts"))] = received
            outcome.delay += latency
            self._log.append(call)
        return call, outcome

    def _over_limit(self, method: str, params: dict[str, Any]) -> int:
        """The Retry-After of a call over Slack's limits (0: within them, or off)."""
        if self.rate_limits is None:
            return 0
        return self.rate_limits.retry_after(method, params, self._clock(),
                                            self.workspace.channel_id) or 0

    def _upload(
        self, file_id: str, body: bytes, arrived: float, thread_id: int, received: float
    ) -> tuple[Call, Outcome]:
        params = {"file_id": file_id, "length": len(body)}
        with self._lock:
            fault = self._faults.take(UPLOAD_METHOD, params, self._clock())
            if fault is not None and fault.kind != "delay":
                call, outcome = faulted_answer(
                    Call(UPLOAD_METHOD, params, arrived, thread_id, received=received), fault)
                if fault.kind == "status":  # the upload URL answers text, not JSON
                    outcome = Outcome(fault.status, f"{fault.error}".encode(), "text/plain")
            elif not self.workspace.receive_upload(file_id, body):
                response = {"ok": False, "error": "file_not_found"}
                call = Call(UPLOAD_METHOD, params, arrived, thread_id, None, 404, response,
                            received=received)
                outcome = Outcome(404, b"file_not_found", "text/plain")
            else:
                fault_name = "delay" if fault is not None else None
                call = Call(UPLOAD_METHOD, params, arrived, thread_id, None, 200, {"ok": True},
                            fault_name, received)
                outcome = Outcome(200, f"OK - {len(body)}".encode(), "text/plain")
                outcome.delay = fault.seconds if fault is not None else 0.0
            self._log.append(call)
        return call, outcome

    def _other_path(
        self, path: str, body: bytes, arrived: float, thread_id: int, received: float
    ) -> tuple[Call, Outcome]:
        with self._lock:
            handler = next((h for p, h in self._paths.items() if path.startswith(p)), None)
        if handler is None:
            status, response = 404, {"ok": False, "error": "unknown_path"}
        else:
            status, response = 200, handler(body)
        call = Call(path, {}, arrived, thread_id, None, status, response, received=received)
        self._log.append(call)
        return call, json_outcome(status, response)

    def _run_hook(self, hook: Callable[..., None] | None, *args: Any) -> None:
        if hook is None:
            return
        try:
            hook(*args)
        except Exception as e:  # a broken hook must not break the server
            self.errors.append(e)

    def _dispatch(self, method: str, params: dict[str, Any], token: str | None) -> dict[str, Any]:
        handler = self.workspace.methods.get(method)
        if handler is None:
            return {"ok": False, "error": "unknown_method", "req_method": method}
        if not token:
            return {"ok": False, "error": "not_authed"}
        accepted = token in self.tokens if self.tokens is not None else token.startswith("xoxb-")
        if not accepted:
            return {"ok": False, "error": "invalid_auth"}
        try:
            return handler(params)
        except ApiError as e:
            return {"ok": False, "error": e.error, **e.extra}
        except Exception as e:  # a stand-in bug: answer, and keep it for the test to see
            self.errors.append(e)
            return {"ok": False, "error": "internal_error", "standin_exception": repr(e)}
