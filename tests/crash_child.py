"""One bot process for tests/e2e/test_crash_restart.py, there to be SIGKILLed.

    python -m tests.crash_child --database-url URL --slack-url URL --now ISO [--jobs]
                               [--inline-limit N]

Builds a `Runtime` on the database with the Web API pointed at the test's Slack
stand-in and a `ManualClock` standing still at `--now`, imports the example schedules
if the database has no team, serves HTTP on a free port and prints `READY <url>`.
With `--jobs` it then waits for a line `go` on stdin (so a test can start it ahead of
time), re-queues what a dead process was sending (`recover`), starts the reconciler job
and prints `GO`. Then it waits to be killed.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # also runnable as a script
    sys.path.insert(0, str(ROOT))

from bot.app.runtime import Runtime  # noqa: E402
from bot.clock import ManualClock  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.demo.local_server import LocalServer  # noqa: E402
from tests.slack_harness import SCHEDULES, SECRET, TOKEN  # noqa: E402


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--slack-url", required=True)
    parser.add_argument("--now", required=True, type=datetime.fromisoformat,
                        help="the instant the clock stands at (with a UTC offset)")
    parser.add_argument("--jobs", action="store_true",
                        help="recover, then run the reconciler job (fire deadlines, deliver)")
    parser.add_argument("--tick-interval", type=float, default=0.05)
    parser.add_argument("--inline-limit", type=int, default=None,
                        help="requests routed inline at once (0: every one is only "
                             "received, and routed by the router thread)")
    args = parser.parse_args(argv)
    if args.now.tzinfo is None:
        parser.error("--now needs a UTC offset")
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr,
                        format="%(asctime)s child %(levelname)s %(name)s: %(message)s")

    settings = Settings(slack_bot_token=TOKEN, slack_signing_secret=SECRET,
                        slack_api_url=args.slack_url, database_url=args.database_url)
    extra = {} if args.inline_limit is None else {"inline_limit": args.inline_limit}
    runtime = Runtime(settings, clock=ManualClock(args.now), tick_interval=args.tick_interval,
                      listener_threads=4, **extra)
    runtime.bootstrap(SCHEDULES)
    server = LocalServer(runtime.wsgi).start()
    print(f"READY {server.url}", flush=True)
    if args.jobs:
        if sys.stdin.readline().strip() != "go":
            return
        runtime.start_jobs(recover=True)
        print("GO", flush=True)
    while True:
        signal.pause()


if __name__ == "__main__":
    main()
