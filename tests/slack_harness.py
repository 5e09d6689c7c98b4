"""Drive the wired app the way Slack does: signed HTTP requests to /slack/events of a
running server, the Web API client pointed at a local Slack stand-in, a manual clock.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, or_, select
from sqlalchemy.exc import SQLAlchemyError

from bot.app.runtime import Runtime
from bot.clock import ManualClock
from bot.config import Settings
from bot.demo import simulate
from bot.demo.local_server import LocalServer
from bot.demo.simulate import Response, SlackSimulator
from bot.demo.slack_standin import SlackStandIn
from bot.store.paging_tables import OutboxRow, PageRow, RequestRow

from .db_template import premigrated
from .waits import until

SECRET = "test-signing-secret"
TOKEN = "xoxb-test-token"
ROOT = Path(__file__).resolve().parents[1]
SCHEDULES = ROOT / "schedules" / "example"
REQUESTER = "U0REQ0001"
SAFETY_DESK = "C0SAFETY1"
# How long a helper below waits for what background threads do before it fails: only
# a bound (a pass returns as soon as it sees it), generous because the machine may be
# busy with other test workers.
WAIT = 30.0
# A slash command's default response_url: an address that answers nothing.
NOWHERE = "https://hooks.slack.test/commands/T0/1/x"


def own_team(folder: Path) -> Path:
    """The example team as an operator's own copy: every user id rewritten (U0... ->
    U9...), so `serve` accepts it (it refuses the example's made-up people). The folder
    holding the copy is returned, for ONCALL_SCHEDULES."""
    import re

    folder.mkdir(parents=True, exist_ok=True)
    text = (SCHEDULES / "safety-escalations.yaml").read_text(encoding="utf-8")
    (folder / "safety-escalations.yaml").write_text(
        re.sub(r"\bU0([A-Z]{2,3}\d{4,5})\b", r"U9\1", text), encoding="utf-8")
    return folder


KARIM_FIRST = "U0AM00011"


def list_first(h: Harness, user: str = KARIM_FIRST, team: str = "safety-escalations"
               ) -> None:
    """Move `user` to the head of the stored team's specialists. Routing's last
    tie-break is the order the team lists people: the overlap scenarios (Karim and Omar
    both primary Arabic-first readers on call, neither paged yet) page Karim first, as
    they were written to, once he is listed first."""
    import dataclasses

    from bot.store import teams as team_store

    with h.runtime.sessions() as session, session.begin():
        t = team_store.load_team(session, team)
        people = sorted(t.specialists, key=lambda s: s.id != user)  # stable: the rest keep
        team_store.save_team(session, dataclasses.replace(t, specialists=tuple(people)))


def sign(body: bytes, timestamp: int | None = None, secret: str = SECRET) -> dict[str, str]:
    return simulate.sign(body, secret, timestamp)


def pending_pages_of_closed_requests(runtime: Runtime) -> list[tuple]:
    """(page id, user, request id, request status) of each page still pending on a
    request that is not open; none when the database cannot be read (a test that took
    it down)."""
    try:
        with runtime.engine.connect() as conn:
            return [tuple(r) for r in conn.execute(
                select(PageRow.id, PageRow.user, RequestRow.id, RequestRow.status)
                .join(RequestRow, RequestRow.id == PageRow.request_id)
                .where(PageRow.state == "pending", RequestRow.status != "open"))]
    except SQLAlchemyError:
        return []


class Harness:
    # More settings for the runtime (a subclass's Twilio or SMTP stand-ins).
    extra_settings: dict = {}
    # Slack's rate limits in the stand-in (a subclass sets RateLimits(); None: off).
    slack_limits = None

    def __init__(self, tmp_path: Path, start: datetime, database_url: str | None = None,
                 schedules: Path = SCHEDULES, public_url: bool = False,
                 **runtime_options):
        """`public_url=True`: `Settings.public_url` is this test server's own URL, so
        calendar feeds are on and their links can be fetched (the port is kept across
        `restart()`). `runtime_options` go to `Runtime` (e.g. `inline_limit=0`)."""
        self._runtime_options = runtime_options
        self.clock = ManualClock(start)
        # Slack's rate limits, when a test turns them on (`slack_limits`), run on the
        # injected clock like the outbox's holds do: a test moves both with `advance`.
        limits = ({"rate_limits": dataclasses.replace(self.slack_limits),  # fresh buckets
                   "clock": lambda: self.clock.now().timestamp()} if self.slack_limits else {})
        self.standin = SlackStandIn(tokens=[TOKEN], **limits).start()
        self.database_url = premigrated(database_url or f"sqlite:///{tmp_path / 'oncall.db'}")
        self.schedules = schedules
        self._public_port: int | None = _free_port() if public_url else None
        # One simulator for the harness's life: trigger ids stay unique across restarts.
        self.sim = SlackSimulator("http://127.0.0.1", SECRET, response_origin=self.standin.origin,
                                  team_domain="safety", channel_name="safety-desk")
        self._boot()
        self.runtime.bootstrap(schedules)

    def _boot(self) -> None:
        port = getattr(self, "_public_port", None)
        self.settings = Settings(slack_bot_token=TOKEN, slack_signing_secret=SECRET,
                                 slack_api_url=self.standin.url,
                                 database_url=self.database_url,
                                 public_url=f"http://127.0.0.1:{port}" if port else None,
                                 **self.extra_settings)
        self.runtime = Runtime(self.settings, clock=self.clock, **self._runtime_options)
        self.server = LocalServer(self.runtime.wsgi, port=port or 0).start()
        self.sim.base_url = self.server.url

    def restart(self) -> None:
        """Stop the app (not gracefully: nothing is flushed) and start a fresh one."""
        self.server.stop()
        # A dead process's threads die with it: the old router must not keep sweeping
        # (after the test it would sweep a dropped database and log into later tests).
        self.runtime.router.stop(timeout=2.0)
        self.runtime.leases.stop()  # nor renew: its rows' leases run out, as a dead one's
        self.runtime.engine.dispose()
        self._boot()
        self.runtime.recover()

    def close(self) -> None:
        self.server.stop()
        try:
            stray = pending_pages_of_closed_requests(self.runtime)
        finally:
            self.runtime.close()
            self.standin.stop()
        assert not stray, (
            "pages left pending on requests that are no longer open (routing's open load "
            f"counts on there being none: PageRow.state): {stray}")

    # -- requests as Slack sends them -----------------------------------------------------

    def post(self, body: bytes, content_type: str, headers: dict | None = None) -> Response:
        return self.sim.post(body, content_type, headers)

    def trigger_id(self) -> str:
        return self.sim.trigger_id()

    def command(self, command: str, text: str, user: str = REQUESTER,
                channel: str = SAFETY_DESK, trigger_id: str | None = None,
                headers: dict | None = None, response_url: str | None = None) -> Response:
        """`response_url`: where the app's `respond()` goes (default: an address that
        answers nothing; `self.standin.origin + "/response/..."` with
        `capture_responses()` to see what is posted)."""
        return self.sim.command(command, text, user, channel, trigger_id, headers,
                                response_url or NOWHERE)

    def click(self, action_id: str, value: str, user: str, channel: str | None = None,
              message_ts: str = "1767225600.000100") -> Response:
        return self.sim.click(action_id, value, user, channel, message_ts)

    def select(self, action_id: str, block_id: str, value: str, user: str,
               channel: str | None = None, message_ts: str = "1767225600.000100",
               kind: str = "static_select") -> Response:
        """Pick `value` in a select of a message (the card, a page DM) of type `kind`."""
        return self.sim.message_select(action_id, block_id, value, user, channel,
                                       message_ts, kind)

    def options(self, action_id: str, block_id: str, query: str, user: str,
                channel: str | None = None) -> Response:
        """Open (or type `query` into) an external_select of a message: its options."""
        return self.sim.options(action_id, block_id, query, user, channel)

    def submit_view(self, callback_id: str, values: dict, user: str,
                    private_metadata: str = "", view_id: str = "V0VIEW0001") -> Response:
        return self.sim.submit_view(callback_id, values, user, private_metadata, view_id)

    def view_select(self, view: dict, block_id: str, action_id: str, value: str, user: str,
                    values: dict | None = None) -> Response:
        """Pick `value` in a select of an open modal (`view` as the stand-in holds it),
        as Slack sends it for an input block with dispatch_action."""
        return self.sim.view_select(view, block_id, action_id, value, user, values)

    def message_shortcut(self, user: str, channel: str, message_ts: str, text: str
                         ) -> Response:
        return self.sim.message_shortcut("escalate_message", user, channel, message_ts, text)

    def event(self, event: dict, event_id: str, headers: dict | None = None) -> Response:
        return self.sim.event(event, event_id, headers)

    # -- time -----------------------------------------------------------------------------

    def advance(self, seconds: float) -> None:
        """Move the clock and run one reconciler pass, as the scheduled job would.

        The pass may leave messages to the delivery threads (they can claim a request's
        rows before the pass's own sweep sees them), so wait until nothing is in flight.
        """
        self.clock.advance(seconds)
        self.runtime.tick()
        until = time.monotonic() + 5
        while ((self.runtime.outbox.in_flight() or not self.runtime.router.idle())
               and time.monotonic() < until):
            time.sleep(0.005)

    # -- what reached Slack ---------------------------------------------------------------

    def dms(self, user: str) -> list[dict]:
        return self.standin.messages_to(user)

    def pages_to(self, user: str) -> list[dict]:
        """Page DMs (messages with the Acknowledge button) a user received."""
        return [m for m in self.dms(user) if "page_ack" in json.dumps(m.get("blocks") or [])]

    def wait_for_page(self, user: str, count: int = 1, timeout: float = WAIT) -> list[dict]:
        self.standin.wait_for(lambda c: c.method == "chat.postMessage"
                              and c.params.get("channel") == user
                              and "page_ack" in json.dumps(c.params.get("blocks") or []),
                              count=count, timeout=timeout,
                              description=f"{count} page DM(s) to {user}")
        return self.pages_to(user)


def _free_port() -> int:
    """A port nobody listens on now (for a server whose URL must be known before it
    starts: `public_url`)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def page_id_of(message: dict) -> str:
    for b in message.get("blocks") or []:
        for el in b.get("elements", []):
            if el.get("action_id") == "page_ack":
                return el["value"]
    raise AssertionError(f"no Acknowledge button in {message}")


def is_page_ping(call) -> bool:
    """A ping posted in a page DM's thread: its person was paged again for the request."""
    return (call.method == "chat.postMessage" and bool(call.params.get("thread_ts"))
            and (call.params.get("text") or "").startswith(":rotating_light: Paged again"))


def page_deliveries(calls) -> Counter:
    """Page ids by how often each reached its person: a page DM posted with its buttons,
    or (paged again for the same request) the DM updated to its buttons and then a
    ping in its thread, counted on the ping."""
    shown: dict[str, str] = {}  # DM ts -> the page id its last update showed
    sent: Counter = Counter()
    for c in calls:
        if not c.ok or c.method not in ("chat.postMessage", "chat.update"):
            continue
        buttons = [el.get("value") for b in c.params.get("blocks") or []
                   for el in b.get("elements") or [] if el.get("action_id") == "page_ack"]
        if c.method == "chat.update" and buttons:
            shown[c.params.get("ts")] = buttons[0]
        elif c.method == "chat.postMessage" and buttons:
            sent[buttons[0]] += 1
        elif is_page_ping(c) and c.params["thread_ts"] in shown:
            sent[shown[c.params["thread_ts"]]] += 1
    return sent


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


# -- helpers for tests/e2e/test_e2e_paging.py, _intake.py and _security.py (added) -----------

INTAKE = "C0INTAKE01"
ESCALATION = "C0ESCAL01"
FIXTURE_TEAMS = ROOT / "tests" / "fixtures" / "teams"


def has_action(blocks: list | None, action_id: str) -> bool:
    """Does a message or view hold an element with this action_id (anywhere)?"""
    return f'"action_id": "{action_id}"' in json.dumps(blocks or [])


def blocks_text(message: dict) -> str:
    """Everything a reader sees in a message or view: its text and its blocks, as one
    string (JSON-escaped), for `in` assertions."""
    blocks = json.dumps(message.get("blocks") or [], ensure_ascii=False)
    return f"{message.get('text') or ''}\n{blocks}"


def emergency_values(text: str, language: str = "detect", severity: str = "sev1",
                     link: str | None = None, category: str | None = None,
                     fields: dict[str, str] | None = None,
                     severity_block: str | None = None) -> dict:
    """view.state.values of the /emergency modal (render.emergency_modal's blocks);
    `category` and `fields` (name -> value) when the form has them."""
    from bot.slack import ids

    extra: dict = {}
    if category is not None:
        extra[ids.CATEGORY_BLOCK] = {ids.CATEGORY_ACTION: {
            "type": "static_select",
            "selected_option": {"text": {"type": "plain_text", "text": category},
                                "value": category}}}
    for name, value in (fields or {}).items():
        extra[f"{ids.FIELD_BLOCK}:{name}"] = {ids.FIELD_ACTION: {
            "type": "plain_text_input", "value": value}}
    sev_block = severity_block or ids.SEVERITY_BLOCK
    return {
        **extra,
        ids.TEXT_BLOCK: {ids.TEXT_ACTION: {"type": "plain_text_input", "value": text}},
        ids.LANGUAGE_BLOCK: {ids.LANGUAGE_ACTION: {
            "type": "static_select",
            "selected_option": {"text": {"type": "plain_text", "text": language},
                                "value": language}}},
        sev_block: {ids.SEVERITY_ACTION: {
            "type": "radio_buttons",
            "selected_option": {"text": {"type": "plain_text", "text": severity.upper()},
                                "value": severity}}},
        ids.LINK_BLOCK: {ids.LINK_ACTION: {"type": "url_text_input", "value": link}},
    }


def resolve_values(note: str | None) -> dict:
    from bot.slack import ids

    return {ids.OUTCOME_BLOCK: {ids.OUTCOME_ACTION: {"type": "plain_text_input",
                                                     "value": note}}}


def handover_values(user: str | None) -> dict:
    from bot.slack import ids

    option = ({"text": {"type": "plain_text", "text": user}, "value": user}
              if user else None)
    return {ids.HANDOVER_TARGET_BLOCK: {ids.HANDOVER_TARGET_ACTION: {
        "type": "static_select", "selected_option": option}}}


class HarnessTools:
    """Extra inspection and fault helpers, kept apart from `Harness` (mixed in below)."""

    standin: SlackStandIn
    runtime: Runtime

    # -- request bodies -----------------------------------------------------------------

    def command_body(self, command: str, text: str, user: str = REQUESTER,
                     channel: str = SAFETY_DESK, trigger_id: str = "9.9999.trigger") -> bytes:
        """The form body of a slash command, for tests that sign it themselves."""
        return self.sim.command_body(command, text, user, channel, trigger_id, NOWHERE)

    def last_trigger_id(self) -> str:
        """The trigger_id of the last interaction sent (same format as trigger_id())."""
        return self.sim.last_trigger_id

    def post_raw(self, body: bytes, content_type: str, headers: dict[str, str]) -> Response:
        """POST to /slack/events with exactly these headers (no signing added)."""
        return self.sim.post_raw(body, content_type, headers)

    # -- the Slack side -------------------------------------------------------------------

    def post_as_someone(self, channel: str, text: str) -> str:
        """Put a message in a channel of the stand-in (as if a person posted it); its ts."""
        from bot.slack.client import make_web_client

        client = make_web_client(TOKEN, self.standin.url)
        return client.chat_postMessage(channel=channel, text=text)["ts"]

    def fail_posts_to(self, channel: str, error: str, count: int = 1) -> None:
        """The next `count` chat.postMessage calls to `channel` (and only those) get
        `{"ok": false, "error": error}`, as Slack answers a bad channel; other calls
        are served as usual."""
        self.standin.fail_next("chat.postMessage", status=200, error=error, count=count,
                               where={"channel": channel})

    def posts(self, channel: str | None = None, ok: bool = True) -> list:
        """chat.postMessage calls (successful ones unless ok=False), optionally to one
        channel or user id, in order."""
        return [c for c in self.standin.calls_to("chat.postMessage")
                if (not ok or c.ok) and (channel is None or c.params.get("channel") == channel)]

    def page_posts(self, user: str | None = None) -> list:
        """Page DMs that reached Slack (each post once, whatever happened to it later)."""
        return [c for c in self.posts(user) if has_action(c.params.get("blocks"), "page_ack")]

    def paged_users(self) -> list[str]:
        return [c.params["channel"] for c in self.page_posts()]

    def page_pings(self, user: str | None = None) -> list:
        """The short pings posted in a page DM's thread when its person is paged again
        for the same request (the page itself is updated in place)."""
        dm = self.standin.dm_channel(user) if user else None
        return [c for c in self.posts(dm) if c.params.get("thread_ts")
                and (c.params.get("text") or "").startswith(":rotating_light: Paged again")]

    def paged_or_pinged(self) -> list[str]:
        """Who was paged, in order: a first page DM, or a ping on it when paged again."""
        pings = {id(c) for c in self.page_pings()}
        by_dm: dict[str, str] = {}
        out = []
        for c in self.posts():
            if has_action(c.params.get("blocks"), "page_ack"):
                by_dm[c.response["channel"]] = c.params["channel"]
                out.append(c.params["channel"])
            elif id(c) in pings:
                out.append(by_dm.get(c.params["channel"], c.params["channel"]))
        return out

    def updates(self, ts: str) -> list:
        """Successful chat.update calls on the message with this ts."""
        return [c for c in self.standin.calls_to("chat.update")
                if c.ok and c.params.get("ts") == ts]

    def cards(self) -> list[dict]:
        """Ticket cards in the intake channel (top-level messages), current state."""
        return [m for m in self.standin.messages_to(INTAKE) if not m.get("thread_ts")]

    def card(self, ticket: str, timeout: float = WAIT) -> dict:
        """The ticket's card in its current state. The card goes out from the outbox
        and may reach Slack after the page DM a test waited for, so this waits (up to
        `timeout`) for it to appear before failing."""
        def find() -> dict | None:
            return next((m for m in self.cards() if f" {ticket} " in (m.get("text") or "")),
                        None)

        if until(lambda: find() is not None, timeout=timeout):
            return find()
        raise AssertionError(f"no card for {ticket} in {INTAKE}: {self.cards()}")

    def thread(self, ts: str) -> list[dict]:
        return [m for m in self.standin.messages_to(INTAKE) if m.get("thread_ts") == ts]

    def views_opened(self) -> list:
        return [c for c in self.standin.calls_to("views.open") if c.ok]

    def wait_posted(self, channel: str, contains: str = "", count: int = 1,
                    timeout: float = WAIT) -> list:
        """Wait for `count` successful chat.postMessage calls to `channel` whose text or
        blocks contain `contains`; return them all."""
        def match(c) -> bool:
            return (c.method == "chat.postMessage" and c.ok
                    and c.params.get("channel") == channel
                    and contains in blocks_text(c.params))

        return self.standin.wait_for(match, count=count, timeout=timeout,
                                     description=f"{count} post(s) to {channel} with "
                                                 f"{contains!r}")

    def wait_updated(self, ts: str, contains: str, timeout: float = WAIT) -> list:
        def match(c) -> bool:
            return (c.method == "chat.update" and c.ok and c.params.get("ts") == ts
                    and contains in blocks_text(c.params))

        return self.standin.wait_for(match, timeout=timeout,
                                     description=f"chat.update of {ts} with {contains!r}")

    def wait_view_opened(self, callback_id: str, count: int = 1, timeout: float = WAIT
                         ) -> list:
        def match(c) -> bool:
            return (c.method == "views.open" and c.ok
                    and (c.params.get("view") or {}).get("callback_id") == callback_id)

        return self.standin.wait_for(match, count=count, timeout=timeout,
                                     description=f"views.open of {callback_id}")

    def settle(self, timeout: float = 5.0) -> None:
        """Wait until the outbox has nothing due or in flight: what a listener thread
        delivers after its ack. (A button's service runs after the ack: wait for its
        visible effect first, then settle.) Rows set to retry later are not waited for."""
        def busy() -> int:  # rows being sent, or due to be sent by the clock's now
            if not self.runtime.router.idle() or self.runtime.intake.received_count():
                return 1  # requests still to be routed
            with self.runtime.sessions() as session:
                return session.scalar(select(func.count()).select_from(OutboxRow).where(or_(
                    OutboxRow.state == "sending",
                    (OutboxRow.state == "pending")
                    & (OutboxRow.next_attempt_utc <= self.clock.now()))))

        self.runtime.dispatch.wait_idle(timeout)
        deadline = time.monotonic() + timeout
        while busy():
            if time.monotonic() > deadline:
                raise AssertionError(f"outbox still has {busy()} row(s) to send")
            time.sleep(0.01)

    # -- the database -------------------------------------------------------------------

    def requests(self) -> list:
        """Every request in the database (any status), oldest first, as RequestViews."""
        from bot.services.requests import read_view

        with self.runtime.sessions() as session:
            rows = session.scalars(select(RequestRow).order_by(RequestRow.id)).all()
            return [read_view(session, r) for r in rows]

    def db_pages(self, request_id: int | None = None) -> list:
        """(user, round, step, source, state, needs_translation) of every page row."""

        with self.runtime.sessions() as session:
            stmt = select(PageRow).order_by(PageRow.id)
            if request_id is not None:
                stmt = stmt.where(PageRow.request_id == request_id)
            return [(p.user, p.round, p.step, p.source, p.state, p.needs_translation)
                    for p in session.scalars(stmt)]

    def audit_actions(self, request_id: int) -> list[str]:
        return [e.action for e in self.runtime.requests.timeline(request_id)]

    def count_rows(self, table) -> int:
        from sqlalchemy import func, select

        with self.runtime.sessions() as session:
            return session.scalar(select(func.count()).select_from(table))


# -- helpers for tests/e2e/test_e2e_oncall.py, _home_feeds.py and _handoffs.py (added) -------


class OncallTools:
    """HTTP GETs of the app's own pages and the bodies posted to `response_url`s."""

    standin: SlackStandIn
    server: LocalServer

    def get(self, path_or_url: str) -> Response:
        """GET a path of the running app (or a whole URL), as a calendar client would."""
        url = path_or_url if "://" in path_or_url else self.server.url + path_or_url
        try:
            with urllib.request.urlopen(url, timeout=10) as r:
                return Response(r.status, r.read(), dict(r.headers.items()))
        except urllib.error.HTTPError as err:
            return Response(err.code, err.read(), dict(err.headers.items()))

    def capture_responses(self) -> list[dict]:
        """From now on, what the app posts to a `response_url` (the ones `click` hands
        out point at the stand-in) is answered 200 and recorded, in order, in the list
        returned (the stand-in alone records no body for them). See `wait_response`."""
        seen: list[dict] = []

        def record(body: bytes) -> dict:
            with contextlib.suppress(ValueError):
                seen.append(json.loads(body or b"{}"))
            return {"ok": True}

        self.standin.serve_path("/response/", record)
        self._responses = seen
        return seen

    def wait_response(self, contains: str, timeout: float = WAIT, count: int = 1) -> dict:
        """The first captured `response_url` body whose text contains `contains`, once
        `count` of them have come (a listener thread posts them after its ack)."""
        deadline = time.monotonic() + timeout
        while True:
            found = [doc for doc in list(self._responses) if contains in (doc.get("text") or "")]
            if len(found) >= count:
                return found[0]
            if time.monotonic() > deadline:
                raise AssertionError(f"not {count} response_url post(s) with {contains!r}: "
                                     f"{self._responses}")
            time.sleep(0.01)


class ToolHarness(OncallTools, HarnessTools, Harness):
    """`Harness` plus the helpers above: what the e2e paging/intake/security tests use."""

    def quiet_close(self) -> None:
        """Let what listener threads are still sending land, then close (fewer
        'connection refused' warnings from deliveries cut off by the stand-in stopping)."""
        with contextlib.suppress(AssertionError):  # something stuck: close anyway
            self.settle(timeout=2.0)
        self.close()


class Held:
    """The stand-in takes the first call `picks` at once (the message is in Slack,
    visible to conversations.history and .replies) and holds its answer until
    `release()`: a process that dies while Slack's answer is on its way."""

    def __init__(self, h: Harness, picks: Callable[[object], bool]):
        self._gate, self.arrived = threading.Event(), threading.Event()
        self._picks = picks
        h.standin.on_call = self._hold

    def _hold(self, call) -> None:
        if not self.arrived.is_set() and self._picks(call):
            self.arrived.set()
            self._gate.wait(30)

    def release(self) -> None:
        self._gate.set()
