"""A local stand-in for the part of Twilio's REST API the bot calls, for tests and the
demo: `POST /2010-04-01/Accounts/{sid}/Messages.json` and `.../Calls.json` (create),
and `GET` of the same (list, for the look-up of an unsure attempt), with Twilio's JSON
shapes. It records every message and call, as the Slack stand-in records Slack calls.

Numbers set in `invalid` are answered like Twilio answers an invalid 'To' number (400,
code 21211); `not_mobile` numbers like a landline asked to take a text (400, 21614).
Basic auth is checked against the account SID and auth token it was started with.

    with TwilioStandin(account_sid="AC0", auth_token="secret") as tw:
        Client("AC0", "secret", http_client=...)  # pointed at tw.url
        tw.messages  # [{"to": ..., "from": ..., "body": ..., "sid": ...}]
"""

from __future__ import annotations

import base64
import itertools
import json
import threading
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

__all__ = ["TwilioStandin"]

_PATH = "/2010-04-01/Accounts/"


class TwilioStandin:
    def __init__(self, account_sid: str = "AC00000000000000000000000000000000",
                 auth_token: str = "standin-token", port: int = 0,
                 invalid: tuple[str, ...] = (), not_mobile: tuple[str, ...] = ()):
        self.account_sid, self.auth_token = account_sid, auth_token
        self.invalid, self.not_mobile = set(invalid), set(not_mobile)
        self.messages: list[dict[str, Any]] = []
        self.calls: list[dict[str, Any]] = []
        self.refused: list[dict[str, Any]] = []  # requests answered with an error
        self._failures: list[tuple[int, int, bool]] = []  # (status, code, created anyway)
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                length = int(self.headers.get("Content-Length") or 0)
                form = {k: v[-1] for k, v in parse_qs(
                    self.rfile.read(length).decode("utf-8"), keep_blank_values=True).items()}
                self._answer(*standin._create(self.path, self.headers, form))

            def do_GET(self) -> None:  # noqa: N802
                self._answer(*standin._list(self.path, self.headers))

            def _answer(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self._server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True,
                                        name="twilio-standin")

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> TwilioStandin:
        self._thread.start()
        return self

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> TwilioStandin:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def fail_next(self, status: int, code: int = 20500, created: bool = False) -> None:
        """Answer the next create with `status` (a 500, a 429); `created`: record the
        message or call all the same (the answer was lost, the send was not)."""
        with self._lock:
            self._failures.append((status, code, created))

    # -- the API -----------------------------------------------------------------------

    def _authorized(self, headers) -> bool:
        auth = headers.get("Authorization") or ""
        want = base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        return auth == f"Basic {want}"

    def _resource(self, path: str) -> str | None:
        """'Messages' or 'Calls' for this account's paths, else None."""
        parts = urlsplit(path).path.removeprefix(_PATH).split("/")
        if len(parts) == 2 and parts[0] == self.account_sid and parts[1] in (
                "Messages.json", "Calls.json"):
            return parts[1].removesuffix(".json")
        return None

    def _create(self, path: str, headers, form: dict[str, str]) -> tuple[int, dict]:
        if not self._authorized(headers):
            return 401, _error(20003, "Authenticate", 401)
        kind = self._resource(path)
        if kind is None:
            return 404, _error(20404, "The requested resource was not found", 404)
        to = form.get("To", "")
        with self._lock:
            failure = self._failures.pop(0) if self._failures else None
        if failure is not None:
            status, code, created = failure
            if created:
                self._create(path, headers, form)
            return status, _error(code, "Injected failure", status)
        with self._lock:
            if to in self.invalid or not to.startswith("+"):
                self.refused.append({"kind": kind, "to": to, "code": 21211})
                return 400, _error(21211, f"The 'To' number {to} is not a valid phone "
                                          "number.", 400)
            if kind == "Messages" and to in self.not_mobile:
                self.refused.append({"kind": kind, "to": to, "code": 21614})
                return 400, _error(21614, f"'To' number {to} is not a mobile number", 400)
            n = next(self._ids)
            now = format_datetime(datetime.now(UTC), usegmt=True)
            sid = ("SM" if kind == "Messages" else "CA") + f"{n:032x}"
            record = {"sid": sid, "account_sid": self.account_sid, "to": to,
                      "from": form.get("From"), "status": "queued", "date_created": now,
                      "date_updated": now, "api_version": "2010-04-01",
                      "uri": f"{_PATH}{self.account_sid}/{kind}/{sid}.json"}
            if kind == "Messages":
                record.update(body=form.get("Body", ""), num_segments="1", direction=
                              "outbound-api", date_sent=now, price=None, error_code=None)
                self.messages.append(record)
            else:
                record.update(twiml=form.get("Twiml"), url=form.get("Url"), direction=
                              "outbound-api", start_time=None, end_time=None)
                self.calls.append(record)
            return 201, record

    def _list(self, path: str, headers) -> tuple[int, dict]:
        if not self._authorized(headers):
            return 401, _error(20003, "Authenticate", 401)
        kind = self._resource(path)
        if kind is None:
            return 404, _error(20404, "The requested resource was not found", 404)
        query = {k: v[-1] for k, v in parse_qs(urlsplit(path).query).items()}
        with self._lock:
            found = [r for r in (self.messages if kind == "Messages" else self.calls)
                     if r["to"] == query.get("To", r["to"])
                     and r["from"] == query.get("From", r["from"])]
        key = kind.lower()
        return 200, {key: found, "page": 0, "page_size": 50, "next_page_uri": None,
                     "uri": urlsplit(path).path, "first_page_uri": urlsplit(path).path}


def _error(code: int, message: str, status: int) -> dict[str, Any]:
    return {"code": code, "message": message, "status": status,
            "more_info": f"https://www.twilio.com/docs/errors/{code}"}
