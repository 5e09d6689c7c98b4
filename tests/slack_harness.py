"""Drive the wired app the way Slack does: signed HTTP requests to /slack/events of a
running server, the Web API client pointed at a local Slack stand-in, a manual clock.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from slack_sdk.signature import SignatureVerifier

from bot.clock import ManualClock
from bot.config import Settings
from bot.local_server import LocalServer
from bot.runtime import Runtime
from bot.slack.standin import SlackStandIn

SECRET = "test-signing-secret"
TOKEN = "xoxb-test-token"
ROOT = Path(__file__).resolve().parents[1]
SCHEDULES = ROOT / "schedules"


@dataclass
class Response:
    status: int
    body: bytes

    def json(self):
        return json.loads(self.body or b"null")

    @property
    def text(self) -> str:
        return self.body.decode()


def sign(body: bytes, timestamp: int | None = None, secret: str = SECRET) -> dict[str, str]:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    sig = SignatureVerifier(secret).generate_signature(timestamp=ts, body=body)
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": sig}


class Harness:
    def __init__(self, tmp_path: Path, start: datetime, database_url: str | None = None,
                 schedules: Path = SCHEDULES):
        self.standin = SlackStandIn(tokens=[TOKEN]).start()
        self.clock = ManualClock(start)
        self.database_url = database_url or f"sqlite:///{tmp_path / 'oncall.db'}"
        self.schedules = schedules
        self._boot()
        self.runtime.bootstrap(schedules)
        self._triggers = 0

    def _boot(self) -> None:
        self.settings = Settings(slack_bot_token=TOKEN, slack_signing_secret=SECRET,
                                 slack_api_url=self.standin.url,
                                 database_url=self.database_url)
        self.runtime = Runtime(self.settings, clock=self.clock)
        self.server = LocalServer(self.runtime.wsgi).start()

    def restart(self) -> None:
        """Stop the app (not gracefully: nothing is flushed) and start a fresh one."""
        self.server.stop()
        self.runtime.engine.dispose()
        self._boot()
        self.runtime.recover()

    def close(self) -> None:
        self.server.stop()
        self.runtime.close()
        self.standin.stop()

    # -- requests as Slack sends them -----------------------------------------------------

    def post(self, body: bytes, content_type: str, headers: dict | None = None) -> Response:
        hdrs = {"Content-Type": content_type, **sign(body), **(headers or {})}
        req = urllib.request.Request(self.server.url + "/slack/events", data=body,
                                     headers=hdrs, method="POST")
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return Response(r.status, r.read())
        except urllib.error.HTTPError as err:
            return Response(err.code, err.read())

    def trigger_id(self) -> str:
        self._triggers += 1
        return f"{self._triggers}.1111.trigger{self._triggers:06d}"

    def command(self, command: str, text: str, user: str = "U0REQ0001",
                channel: str = "C0SAFETY1", trigger_id: str | None = None,
                headers: dict | None = None) -> Response:
        form = {
            "token": "legacy", "team_id": "T0STANDIN", "team_domain": "safety",
            "channel_id": channel, "channel_name": "safety-desk", "user_id": user,
            "user_name": user.lower(), "command": command, "text": text,
            "api_app_id": "A0ONCALL01", "is_enterprise_install": "false",
            "response_url": "https://hooks.slack.test/commands/T0/1/x",
            "trigger_id": trigger_id or self.trigger_id(),
        }
        body = urllib.parse.urlencode(form).encode()
        return self.post(body, "application/x-www-form-urlencoded", headers)

    def _interactive(self, payload: dict, headers: dict | None = None) -> Response:
        body = urllib.parse.urlencode({"payload": json.dumps(payload)}).encode()
        return self.post(body, "application/x-www-form-urlencoded", headers)

    def click(self, action_id: str, value: str, user: str, channel: str | None = None,
              message_ts: str = "1767225600.000100") -> Response:
        return self._interactive({
            "type": "block_actions", "team": {"id": "T0STANDIN", "domain": "safety"},
            "user": {"id": user, "username": user.lower(), "team_id": "T0STANDIN"},
            "api_app_id": "A0ONCALL01", "token": "legacy", "trigger_id": self.trigger_id(),
            "container": {"type": "message", "message_ts": message_ts,
                          "channel_id": channel or f"D{user}", "is_ephemeral": False},
            "channel": {"id": channel or f"D{user}", "name": "directmessage"},
            "message": {"type": "message", "ts": message_ts, "text": "page"},
            "response_url": f"{self.standin.origin}/response/{self._triggers}",
            "actions": [{"type": "button", "action_id": action_id, "block_id": "page_actions",
                         "value": value, "action_ts": f"{time.time():.6f}"}],
        })

    def submit_view(self, callback_id: str, values: dict, user: str,
                    private_metadata: str = "", view_id: str = "V0VIEW0001") -> Response:
        return self._interactive({
            "type": "view_submission", "team": {"id": "T0STANDIN", "domain": "safety"},
            "user": {"id": user, "username": user.lower(), "team_id": "T0STANDIN"},
            "api_app_id": "A0ONCALL01", "token": "legacy", "trigger_id": self.trigger_id(),
            "view": {"id": view_id, "team_id": "T0STANDIN", "type": "modal",
                     "callback_id": callback_id, "private_metadata": private_metadata,
                     "state": {"values": values}, "hash": "1.abc",
                     "title": {"type": "plain_text", "text": "x"}},
            "response_urls": [],
        })

    def message_shortcut(self, user: str, channel: str, message_ts: str, text: str
                         ) -> Response:
        return self._interactive({
            "type": "message_action", "callback_id": "escalate_message",
            "team": {"id": "T0STANDIN", "domain": "safety"},
            "user": {"id": user, "name": user.lower()}, "channel": {"id": channel,
                                                                    "name": "general"},
            "trigger_id": self.trigger_id(), "message_ts": message_ts, "token": "legacy",
            "message": {"type": "message", "user": "U0OTHER01", "ts": message_ts,
                        "text": text},
            "response_url": f"{self.standin.origin}/response/shortcut",
        })

    def event(self, event: dict, event_id: str, headers: dict | None = None) -> Response:
        body = json.dumps({
            "token": "legacy", "team_id": "T0STANDIN", "api_app_id": "A0ONCALL01",
            "event": event, "type": "event_callback", "event_id": event_id,
            "event_time": int(time.time()),
        }).encode()
        return self.post(body, "application/json", headers)

    # -- time -----------------------------------------------------------------------------

    def advance(self, seconds: float) -> None:
        """Move the clock and run one reconciler pass, as the scheduled job would."""
        self.clock.advance(seconds)
        self.runtime.tick()

    # -- what reached Slack ---------------------------------------------------------------

    def dms(self, user: str) -> list[dict]:
        return self.standin.messages_to(user)

    def pages_to(self, user: str) -> list[dict]:
        """Page DMs (messages with the Acknowledge button) a user received."""
        return [m for m in self.dms(user)
                if any(el.get("action_id") == "page_ack"
                       for b in m.get("blocks") or [] for el in b.get("elements", []))
                or "page_ack" in json.dumps(m.get("blocks") or [])]

    def wait_for_page(self, user: str, count: int = 1, timeout: float = 5.0) -> list[dict]:
        self.standin.wait_for(lambda c: c.method == "chat.postMessage"
                              and c.params.get("channel") == user
                              and "page_ack" in json.dumps(c.params.get("blocks") or []),
                              count=count, timeout=timeout,
                              description=f"{count} page DM(s) to {user}")
        return self.pages_to(user)


def page_id_of(message: dict) -> str:
    for b in message.get("blocks") or []:
        for el in b.get("elements", []):
            if el.get("action_id") == "page_ack":
                return el["value"]
    raise AssertionError(f"no Acknowledge button in {message}")


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)
