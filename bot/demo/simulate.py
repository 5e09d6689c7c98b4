"""Requests exactly as Slack sends them (signed bodies to /slack/events), for the demo,
the benchmarks and the tests, which have no Slack workspace to send them."""

from __future__ import annotations

import http.client
import json
import time
import urllib.parse
from dataclasses import dataclass
from itertools import count

from slack_sdk.signature import SignatureVerifier

EVENTS_PATH = "/slack/events"


@dataclass
class Response:
    status: int
    body: bytes

    def json(self):
        return json.loads(self.body or b"null")

    @property
    def text(self) -> str:
        return self.body.decode(errors="replace")


def sign(body: bytes, secret: str, timestamp: int | None = None) -> dict[str, str]:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    sig = SignatureVerifier(secret).generate_signature(timestamp=ts, body=body)
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": sig}


class SlackSimulator:
    """Builds and signs Slack's request bodies and POSTs them to the app."""

    def __init__(self, base_url: str, secret: str, team_id: str = "T0STANDIN",
                 app_id: str = "A0ONCALL01", response_origin: str = "http://127.0.0.1:9"):
        self.base_url = base_url.rstrip("/")
        self.secret = secret
        self.team_id = team_id
        self.app_id = app_id
        self.response_origin = response_origin
        self._seq = count(1)
        parsed = urllib.parse.urlsplit(self.base_url)
        self._host, self._port = parsed.hostname, parsed.port or 80

    def trigger_id(self) -> str:
        n = next(self._seq)
        return f"{n}.1111.trigger{n:06d}"

    def post(self, body: bytes, content_type: str, headers: dict | None = None,
             timeout: float = 10) -> Response:
        hdrs = {"Content-Type": content_type, **sign(body, self.secret), **(headers or {})}
        conn = http.client.HTTPConnection(self._host, self._port, timeout=timeout)
        try:
            conn.request("POST", EVENTS_PATH, body=body, headers=hdrs)
            r = conn.getresponse()
            return Response(r.status, r.read())
        finally:
            conn.close()

    # -- bodies -------------------------------------------------------------------------

    def command_body(self, command: str, text: str, user: str, channel: str,
                     trigger_id: str | None = None) -> bytes:
        return urllib.parse.urlencode({
            "token": "legacy", "team_id": self.team_id, "team_domain": "workspace",
            "channel_id": channel, "channel_name": "channel", "user_id": user,
            "user_name": user.lower(), "command": command, "text": text,
            "api_app_id": self.app_id, "is_enterprise_install": "false",
            "response_url": f"{self.response_origin}/commands/{self.team_id}/1/x",
            "trigger_id": trigger_id or self.trigger_id(),
        }).encode()

    def interactive_body(self, payload: dict) -> bytes:
        return urllib.parse.urlencode({"payload": json.dumps(payload)}).encode()

    def _user(self, user: str) -> dict:
        return {"id": user, "username": user.lower(), "name": user.lower(),
                "team_id": self.team_id}

    # -- actions ------------------------------------------------------------------------

    def command(self, command: str, text: str, user: str, channel: str,
                trigger_id: str | None = None, headers: dict | None = None) -> Response:
        return self.post(self.command_body(command, text, user, channel, trigger_id),
                         "application/x-www-form-urlencoded", headers)

    def click(self, action_id: str, value: str, user: str, channel: str | None = None,
              message_ts: str = "1767225600.000100", block_id: str = "page_actions"
              ) -> Response:
        channel = channel or f"D{user}"
        payload = {
            "type": "block_actions", "team": {"id": self.team_id, "domain": "workspace"},
            "user": self._user(user), "api_app_id": self.app_id, "token": "legacy",
            "trigger_id": self.trigger_id(),
            "container": {"type": "message", "message_ts": message_ts, "channel_id": channel,
                          "is_ephemeral": False},
            "channel": {"id": channel, "name": "directmessage"},
            "message": {"type": "message", "ts": message_ts, "text": "page"},
            "response_url": f"{self.response_origin}/actions/{next(self._seq)}",
            "actions": [{"type": "button", "action_id": action_id, "block_id": block_id,
                         "value": value, "action_ts": f"{time.time():.6f}"}],
        }
        return self.post(self.interactive_body(payload), "application/x-www-form-urlencoded")

    def submit_view(self, callback_id: str, values: dict, user: str,
                    private_metadata: str = "", view_id: str | None = None) -> Response:
        payload = {
            "type": "view_submission", "team": {"id": self.team_id, "domain": "workspace"},
            "user": self._user(user), "api_app_id": self.app_id, "token": "legacy",
            "trigger_id": self.trigger_id(),
            "view": {"id": view_id or f"V{next(self._seq):09d}", "team_id": self.team_id,
                     "type": "modal", "callback_id": callback_id,
                     "private_metadata": private_metadata, "state": {"values": values},
                     "hash": "1.abc", "title": {"type": "plain_text", "text": "x"}},
            "response_urls": [],
        }
        return self.post(self.interactive_body(payload), "application/x-www-form-urlencoded")

    def message_shortcut(self, callback_id: str, user: str, channel: str, message_ts: str,
                         text: str, author: str = "U0OTHER01") -> Response:
        payload = {
            "type": "message_action", "callback_id": callback_id,
            "team": {"id": self.team_id, "domain": "workspace"}, "user": self._user(user),
            "channel": {"id": channel, "name": "general"}, "trigger_id": self.trigger_id(),
            "message_ts": message_ts, "token": "legacy",
            "message": {"type": "message", "user": author, "ts": message_ts, "text": text},
            "response_url": f"{self.response_origin}/shortcut/{next(self._seq)}",
        }
        return self.post(self.interactive_body(payload), "application/x-www-form-urlencoded")

    def event(self, event: dict, event_id: str, headers: dict | None = None) -> Response:
        body = json.dumps({
            "token": "legacy", "team_id": self.team_id, "api_app_id": self.app_id,
            "event": event, "type": "event_callback", "event_id": event_id,
            "event_time": int(time.time()),
        }).encode()
        return self.post(body, "application/json", headers)
