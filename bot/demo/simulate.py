"""Requests exactly as Slack sends them (signed bodies to /slack/events), for the demo,
the benchmarks and the tests, which have no Slack workspace to send them.

``SlackSimulator`` builds each kind of request the bot answers: slash commands
(``command``), button clicks (``click``, a ``block_actions`` payload), modal submissions
(``submit_view``), message shortcuts (``message_shortcut``) and Events API callbacks
(``event``). Each has a ``*_body`` twin (and ``url_verification_body`` builds Slack's
check of the events URL) that only builds the body, for callers that
send it themselves (``post`` signs and sends; ``post_raw`` sends with the headers given,
to try bad signatures). ``sign`` gives Slack's two signature headers for any body.

Trigger ids are ``N.1111.triggerNNNNNN`` with N counting from 1 for the simulator's
life; ``last_trigger_id`` is the one handed out last. The ``response_url`` of clicks and
shortcuts points at ``response_origin`` + ``/response/...`` (the Slack stand-in's
origin, to see what the app posts there).
"""

from __future__ import annotations

import http.client
import json
import time
import urllib.parse
from dataclasses import dataclass, field
from itertools import count
from typing import Any

from slack_sdk.signature import SignatureVerifier

EVENTS_PATH = "/slack/events"
FORM = "application/x-www-form-urlencoded"


@dataclass
class Response:
    """The app's answer: HTTP status, body and headers."""

    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)

    def json(self):
        return json.loads(self.body or b"null")

    @property
    def text(self) -> str:
        return self.body.decode(errors="replace")


def sign(body: bytes, secret: str, timestamp: int | None = None) -> dict[str, str]:
    """Slack's signature headers for ``body``, signed at ``timestamp`` (default now)."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    sig = SignatureVerifier(secret).generate_signature(timestamp=ts, body=body)
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": sig}


def interactive_body(payload: dict[str, Any]) -> bytes:
    """The form body Slack wraps an interaction payload in."""
    return urllib.parse.urlencode({"payload": json.dumps(payload)}).encode()


class SlackSimulator:
    """Builds and signs Slack's request bodies and POSTs them to the app at
    ``base_url`` (which may be changed, e.g. when the app restarts on another port)."""

    def __init__(self, base_url: str, secret: str, team_id: str = "T0STANDIN",
                 app_id: str = "A0ONCALL01", response_origin: str = "http://127.0.0.1:9",
                 *, team_domain: str = "workspace", channel_name: str = "channel"):
        self.base_url = base_url
        self.secret = secret
        self.team_id = team_id
        self.app_id = app_id
        self.response_origin = response_origin
        self.team_domain = team_domain
        self.channel_name = channel_name
        self._triggers = count(1)
        self._last_trigger = 0
        self._ids = count(1)  # view ids

    @property
    def base_url(self) -> str:
        return self._base_url

    @base_url.setter
    def base_url(self, url: str) -> None:
        self._base_url = url.rstrip("/")
        parsed = urllib.parse.urlsplit(self._base_url)
        self._host, self._port = parsed.hostname, parsed.port or 80

    def trigger_id(self) -> str:
        """A new trigger id, as Slack gives one per interaction."""
        self._last_trigger = next(self._triggers)
        return self.last_trigger_id

    @property
    def last_trigger_id(self) -> str:
        """The trigger id handed out last (same format as ``trigger_id()``)."""
        n = self._last_trigger
        return f"{n}.1111.trigger{n:06d}"

    # -- sending ----------------------------------------------------------------------

    def post(self, body: bytes, content_type: str, headers: dict | None = None,
             timeout: float = 10) -> Response:
        """POST ``body`` to /slack/events, signed now (``headers`` added last)."""
        return self.post_raw(body, content_type, {**sign(body, self.secret), **(headers or {})},
                             timeout)

    def post_raw(self, body: bytes, content_type: str, headers: dict[str, str],
                 timeout: float = 10) -> Response:
        """POST ``body`` to /slack/events with exactly these headers (no signing)."""
        conn = http.client.HTTPConnection(self._host, self._port, timeout=timeout)
        try:
            conn.request("POST", EVENTS_PATH, body=body,
                         headers={"Content-Type": content_type, **headers})
            r = conn.getresponse()
            return Response(r.status, r.read(), dict(r.getheaders()))
        finally:
            conn.close()

    # -- bodies -------------------------------------------------------------------------

    def command_body(self, command: str, text: str, user: str, channel: str,
                     trigger_id: str | None = None, response_url: str | None = None) -> bytes:
        """A slash command's form body (a new trigger id unless one is given)."""
        return urllib.parse.urlencode({
            "token": "legacy", "team_id": self.team_id, "team_domain": self.team_domain,
            "channel_id": channel, "channel_name": self.channel_name, "user_id": user,
            "user_name": user.lower(), "command": command, "text": text,
            "api_app_id": self.app_id, "is_enterprise_install": "false",
            "response_url": response_url
            or f"{self.response_origin}/commands/{self.team_id}/1/x",
            "trigger_id": trigger_id or self.trigger_id(),
        }).encode()

    def click_body(self, action_id: str, value: str, user: str, channel: str | None = None,
                   message_ts: str = "1767225600.000100", block_id: str = "page_actions"
                   ) -> bytes:
        """A ``block_actions`` payload: ``user`` clicks a button of a message (by
        default in their DM with the bot)."""
        channel = channel or f"D{user}"
        trigger = self.trigger_id()
        return interactive_body({
            **self._interaction("block_actions", user, trigger),
            "container": {"type": "message", "message_ts": message_ts, "channel_id": channel,
                          "is_ephemeral": False},
            "channel": {"id": channel, "name": "directmessage"},
            "message": {"type": "message", "ts": message_ts, "text": "page"},
            "response_url": f"{self.response_origin}/response/{self._last_trigger}",
            "actions": [{"type": "button", "action_id": action_id, "block_id": block_id,
                         "value": value, "action_ts": f"{time.time():.6f}"}],
        })

    def message_select_body(self, action_id: str, block_id: str, value: str, user: str,
                            channel: str | None = None,
                            message_ts: str = "1767225600.000100",
                            kind: str = "static_select") -> bytes:
        """A ``block_actions`` payload: ``user`` picks ``value`` in a select of a
        message (by default in their DM with the bot); ``kind`` is the select's type
        (``external_select`` for one whose options the app lists)."""
        channel = channel or f"D{user}"
        trigger = self.trigger_id()
        option = {"text": {"type": "plain_text", "text": value, "emoji": True},
                  "value": value}
        return interactive_body({
            **self._interaction("block_actions", user, trigger),
            "container": {"type": "message", "message_ts": message_ts, "channel_id": channel,
                          "is_ephemeral": False},
            "channel": {"id": channel, "name": "directmessage"},
            "message": {"type": "message", "ts": message_ts, "text": "message"},
            "response_url": f"{self.response_origin}/response/{self._last_trigger}",
            "actions": [{"type": kind, "action_id": action_id,
                         "block_id": block_id, "selected_option": option,
                         "action_ts": f"{time.time():.6f}"}],
        })

    def options_body(self, action_id: str, block_id: str, query: str, user: str,
                     channel: str | None = None,
                     message_ts: str = "1767225600.000100") -> bytes:
        """A ``block_suggestion`` payload: ``user`` opens (or types ``query`` into) the
        external_select ``action_id`` of a message; Slack asks the app for its options."""
        channel = channel or f"D{user}"
        payload = self._interaction("block_suggestion", user, "")
        del payload["trigger_id"]  # Slack sends none with a block_suggestion
        return interactive_body({
            **payload,
            "container": {"type": "message", "message_ts": message_ts, "channel_id": channel,
                          "is_ephemeral": False},
            "channel": {"id": channel, "name": "directmessage"},
            "message": {"type": "message", "ts": message_ts, "text": "message"},
            "action_id": action_id, "block_id": block_id, "value": query,
            "action_ts": f"{time.time():.6f}",
        })

    def view_submission_body(self, callback_id: str, values: dict, user: str,
                             private_metadata: str = "", view_id: str | None = None) -> bytes:
        """A ``view_submission`` payload: ``user`` submits a modal with these
        ``state.values``."""
        trigger = self.trigger_id()
        return interactive_body({
            **self._interaction("view_submission", user, trigger),
            "view": {"id": view_id or f"V{next(self._ids):09d}", "team_id": self.team_id,
                     "type": "modal", "callback_id": callback_id,
                     "private_metadata": private_metadata, "state": {"values": values},
                     "hash": "1.abc", "title": {"type": "plain_text", "text": "x"}},
            "response_urls": [],
        })

    def view_select_body(self, view: dict[str, Any], block_id: str, action_id: str,
                         value: str, user: str, values: dict | None = None) -> bytes:
        """A ``block_actions`` payload from a modal: ``user`` picks ``value`` in the
        static_select ``action_id`` of the input block ``block_id`` (one with
        ``dispatch_action``) of ``view`` (as the stand-in holds it: id, hash, blocks,
        private_metadata); ``values`` is the rest of what the form holds."""
        option = {"text": {"type": "plain_text", "text": value, "emoji": True},
                  "value": value}
        state = {**(values or {}),
                 block_id: {action_id: {"type": "static_select", "selected_option": option}}}
        return interactive_body({
            **self._interaction("block_actions", user, self.trigger_id()),
            "container": {"type": "view", "view_id": view["id"]},
            "view": {**view, "state": {"values": state}},
            "actions": [{"type": "static_select", "action_id": action_id,
                         "block_id": block_id, "selected_option": option,
                         "action_ts": f"{time.time():.6f}"}],
        })

    def message_shortcut_body(self, callback_id: str, user: str, channel: str,
                              message_ts: str, text: str, author: str = "U0OTHER01") -> bytes:
        """A ``message_action`` payload: ``user`` runs a message shortcut on a message
        ``author`` posted."""
        return interactive_body({
            **self._interaction("message_action", user, self.trigger_id()),
            "callback_id": callback_id, "channel": {"id": channel, "name": "general"},
            "message_ts": message_ts,
            "message": {"type": "message", "user": author, "ts": message_ts, "text": text},
            "response_url": f"{self.response_origin}/response/shortcut",
        })

    def event_body(self, event: dict, event_id: str) -> bytes:
        """An Events API ``event_callback`` envelope around ``event``."""
        return json.dumps({
            "token": "legacy", "team_id": self.team_id, "api_app_id": self.app_id,
            "event": event, "type": "event_callback", "event_id": event_id,
            "event_time": int(time.time()),
        }).encode()

    def url_verification_body(self, challenge: str) -> bytes:
        """The ``url_verification`` request Slack sends when the events URL is set."""
        return json.dumps({"token": "legacy", "challenge": challenge,
                           "type": "url_verification"}).encode()

    def _interaction(self, kind: str, user: str, trigger_id: str) -> dict[str, Any]:
        """The fields every interaction payload starts with."""
        return {
            "type": kind, "team": {"id": self.team_id, "domain": self.team_domain},
            "user": {"id": user, "username": user.lower(), "name": user.lower(),
                     "team_id": self.team_id},
            "api_app_id": self.app_id, "token": "legacy", "trigger_id": trigger_id,
        }

    # -- sending each kind --------------------------------------------------------------

    def command(self, command: str, text: str, user: str, channel: str,
                trigger_id: str | None = None, headers: dict | None = None,
                response_url: str | None = None) -> Response:
        body = self.command_body(command, text, user, channel, trigger_id, response_url)
        return self.post(body, FORM, headers)

    def click(self, action_id: str, value: str, user: str, channel: str | None = None,
              message_ts: str = "1767225600.000100", block_id: str = "page_actions"
              ) -> Response:
        body = self.click_body(action_id, value, user, channel, message_ts, block_id)
        return self.post(body, FORM)

    def message_select(self, action_id: str, block_id: str, value: str, user: str,
                       channel: str | None = None, message_ts: str = "1767225600.000100",
                       kind: str = "static_select") -> Response:
        body = self.message_select_body(action_id, block_id, value, user, channel,
                                        message_ts, kind)
        return self.post(body, FORM)

    def options(self, action_id: str, block_id: str, query: str, user: str,
                channel: str | None = None,
                message_ts: str = "1767225600.000100") -> Response:
        body = self.options_body(action_id, block_id, query, user, channel, message_ts)
        return self.post(body, FORM)

    def submit_view(self, callback_id: str, values: dict, user: str,
                    private_metadata: str = "", view_id: str | None = None) -> Response:
        body = self.view_submission_body(callback_id, values, user, private_metadata, view_id)
        return self.post(body, FORM)

    def view_select(self, view: dict[str, Any], block_id: str, action_id: str, value: str,
                    user: str, values: dict | None = None) -> Response:
        body = self.view_select_body(view, block_id, action_id, value, user, values)
        return self.post(body, FORM)

    def message_shortcut(self, callback_id: str, user: str, channel: str, message_ts: str,
                         text: str, author: str = "U0OTHER01") -> Response:
        body = self.message_shortcut_body(callback_id, user, channel, message_ts, text, author)
        return self.post(body, FORM)

    def event(self, event: dict, event_id: str, headers: dict | None = None) -> Response:
        return self.post(self.event_body(event, event_id), "application/json", headers)
