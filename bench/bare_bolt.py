"""The baseline of bench.paging_latency: a bare Bolt app under the bot's gunicorn settings.

    python -m bench.bare_bolt --host 127.0.0.1 --port 3000 [--threads 16]

`/emergency` acknowledges with an ephemeral "Filed T-<n>" and makes the Web API calls
the bot makes for one request (see the Slack stand-in's record of one /emergency):
chat.postMessage of the page DM, of the card in the intake channel and of the thread
line under it. No database, no routing: what is left is Bolt, the signature check,
gunicorn and the Web API client, the floor under the bot's CPU per request.
Environment: SLACK_SIGNING_SECRET, SLACK_BOT_TOKEN, SLACK_API_URL (the stand-in).
"""

from __future__ import annotations

import argparse
import itertools
import os
from collections.abc import Sequence

from gunicorn.app.base import BaseApplication
from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient

PAGE_TO, INTAKE = "U0BARE0001", "C0BAREIN01"


def make_app() -> App:
    client = WebClient(token=os.environ["SLACK_BOT_TOKEN"],
                       base_url=os.environ["SLACK_API_URL"].rstrip("/") + "/")
    app = App(client=client, signing_secret=os.environ["SLACK_SIGNING_SECRET"],
              token_verification_enabled=False, process_before_response=False)
    tickets = itertools.count(1)
    button = {"type": "button", "action_id": "page_ack", "text": {"type": "plain_text",
                                                                   "text": "Acknowledge"}}

    @app.command("/emergency")
    def emergency(ack, command, client) -> None:
        ticket = f"T-{next(tickets)}"
        ack(response_type="ephemeral", text=f"Filed {ticket}: paging the on-call reader.")
        text = f"{ticket}: {command.get('text', '')}"
        client.chat_postMessage(channel=PAGE_TO, text=text, blocks=[
            {"type": "section", "text": {"type": "mrkdwn", "text": text}},
            {"type": "actions", "elements": [{**button, "value": ticket}]}])
        card = client.chat_postMessage(channel=INTAKE, text=text)
        client.chat_postMessage(channel=INTAKE, text=f"{ticket} filed",
                                thread_ts=card["ts"])

    return app


class BareApplication(BaseApplication):
    def __init__(self, host: str, port: int, threads: int):
        self._bind, self._threads = f"{host}:{port}", threads
        super().__init__()

    def load_config(self) -> None:
        # The bot's settings (bot/app/http_server.py): one waitress worker.
        for key, value in {"bind": self._bind, "workers": 1,
                           "worker_class": "bot.app.waitress_worker.WaitressWorker",
                           "threads": self._threads, "timeout": 60, "accesslog": None,
                           "errorlog": "-", "loglevel": "warning"}.items():
            self.cfg.set(key, value)

    def load(self):
        handler = SlackRequestHandler(make_app())

        def wsgi(environ, start_response):
            if environ.get("PATH_INFO") == "/healthz":
                start_response("200 OK", [("Content-Type", "application/json")])
                return [b'{"ok": true}']  # what the bot's /healthz answers
            return handler(environ, start_response)

        return wsgi


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.bare_bolt")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--threads", type=int, default=16)
    args = ap.parse_args(argv)
    BareApplication(args.host, args.port, args.threads).run()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
