"""Where a filed `/emergency` spends the worker's CPU: a cProfile of the wired app.

    python -m bench.profile_request [--requests 300] [--top 40] [--sort tottime]
                                    [--database-url URL] [--out FILE.prof] [--sql]
                                    [--no-cprofile]

The app is the real `Runtime` (the bench's 300-specialist team, a SQLite file unless
`--database-url` says otherwise, the Web API pointed at a Slack stand-in in this
process), but every thread hand-off is made inline (Bolt's listener executor, the
delivery pool), so one thread does all of a request's work and the profile, timed with
`time.thread_time`, is its CPU only: not the stand-in's, not waiting on sockets. The
requests are signed form bodies handed to the WSGI app directly (no HTTP server: the
part gunicorn does is the same for the bare Bolt baseline). After the profile, the
same loop runs unprofiled three times and the best CPU per request is printed: the
figure to compare before and after a change, in the same conditions. `--sql` prints
the statements of one request; `--no-cprofile` leaves only the unprofiled rounds, for
a sampling profiler (`py-spy record -- python -m bench.profile_request --no-cprofile`).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import shutil
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from concurrent.futures import Executor, Future
from pathlib import Path

from bench.paging.load import load_texts
from bench.paging.server import BOT_TOKEN, SECRET
from bench.paging.team import bench_team, write_schedules
from bot.demo.simulate import EVENTS_PATH, SlackSimulator, sign
from bot.demo.slack_standin import SlackStandIn


class InlineExecutor(Executor):
    """Runs each task at once on the caller's thread (for a one-thread profile)."""

    def submit(self, fn, /, *args, **kwargs) -> Future:
        future: Future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as err:  # noqa: BLE001 - handed back like a pool would
            future.set_exception(err)
        return future


def wsgi_post(app, body: bytes) -> tuple[str, bytes]:
    """POST `body` (signed now) to /slack/events of the WSGI `app`; (status, body)."""
    headers = sign(body, SECRET)
    environ = {
        "REQUEST_METHOD": "POST", "PATH_INFO": EVENTS_PATH, "QUERY_STRING": "",
        "CONTENT_TYPE": "application/x-www-form-urlencoded",
        "CONTENT_LENGTH": str(len(body)), "wsgi.input": io.BytesIO(body),
        "SERVER_NAME": "127.0.0.1", "SERVER_PROTOCOL": "HTTP/1.1", "SERVER_PORT": "80",
        "wsgi.url_scheme": "http",
        "HTTP_X_SLACK_REQUEST_TIMESTAMP": headers["X-Slack-Request-Timestamp"],
        "HTTP_X_SLACK_SIGNATURE": headers["X-Slack-Signature"],
    }
    status: list[str] = []

    def start_response(s, _headers, _exc=None):
        status.append(s)

    out = b"".join(app(environ, start_response))
    return status[0], out


def build_runtime(tmp: Path, standin: SlackStandIn, database_url: str | None,
                  deferred: bool = False):
    from bot.app.runtime import INLINE_LIMIT, Runtime
    from bot.config import Settings

    write_schedules(bench_team(), tmp / "schedules")
    settings = Settings(slack_bot_token=BOT_TOKEN, slack_signing_secret=SECRET,
                        slack_api_url=standin.url,
                        database_url=database_url or f"sqlite:///{tmp / 'profile.db'}")
    # Every hand-off inline: the request's whole cost lands on this thread.
    runtime = Runtime(settings, executor=InlineExecutor(),
                      inline_limit=0 if deferred else INLINE_LIMIT)
    runtime.bootstrap(tmp / "schedules")
    runtime.warm_up()
    return runtime


def profile(runtime, bodies: list[bytes], args: argparse.Namespace) -> None:
    """The requests under cProfile (this thread's CPU time), the top functions printed."""
    prof = cProfile.Profile(time.thread_time)
    t0 = time.thread_time()
    prof.enable()
    for b in bodies:
        status, _ = wsgi_post(runtime.wsgi, b)
        if not status.startswith("200"):
            raise SystemExit(f"answer {status}")
    prof.disable()
    cpu = time.thread_time() - t0
    print(f"{len(bodies)} requests: {cpu / len(bodies) * 1000:.2f} ms of this "
          "thread's CPU per request (profiled, so inflated)")
    stats = pstats.Stats(prof, stream=sys.stdout)
    stats.sort_stats(args.sort).print_stats(args.top)
    if args.out:
        stats.dump_stats(args.out)


def cpu_round(runtime, bodies: list[bytes], deferred: bool) -> tuple[float, float]:
    """CPU per request (this thread's, the router thread's) for `bodies` posted in
    turn; deferred, they are posted BATCH at a time and routed by the router's thread
    (as under load) before the next ones go."""
    from bot.jobs.router import BATCH

    routed = 0.0
    step = BATCH if deferred else len(bodies)
    t0 = time.thread_time()
    for start in range(0, len(bodies), step):
        for b in bodies[start:start + step]:
            status, _ = wsgi_post(runtime.wsgi, b)
            if not status.startswith("200"):
                raise SystemExit(f"answer {status}")
        if deferred:
            routed += routing_cpu(runtime.router)
    return (time.thread_time() - t0) / len(bodies), routed / len(bodies)


def routing_cpu(router) -> float:
    """Wait for `router` to route what was received; the CPU its thread used."""
    thread = router._thread
    clock = time.pthread_getcpuclockid(thread.ident)
    t0 = time.clock_gettime(clock)
    while not router.idle():
        time.sleep(0.001)
    return time.clock_gettime(clock) - t0


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.profile_request", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--requests", type=int, default=300)
    ap.add_argument("--warmup", type=int, default=20)
    ap.add_argument("--top", type=int, default=40)
    ap.add_argument("--sort", default="tottime")
    ap.add_argument("--database-url", default=None)
    ap.add_argument("--out", default=None, help="also write the raw profile here")
    ap.add_argument("--no-cprofile", action="store_true",
                    help="only the unprofiled rounds (to sample them with py-spy)")
    ap.add_argument("--sql", action="store_true",
                    help="print the SQL one request runs, then profile")
    ap.add_argument("--detect", action="store_true",
                    help="the paging bench's texts without `lang:` (the language detected)")
    ap.add_argument("--deferred", action="store_true",
                    help="every request only received and acknowledged, then routed by "
                         "the router's thread (as when a process is behind); no profile")
    args = ap.parse_args(argv)
    if args.deferred:
        args.no_cprofile = True
    tmp = Path(tempfile.mkdtemp(prefix="oncall-profile-"))
    standin = SlackStandIn(host="127.0.0.1").start()
    runtime = None
    try:
        runtime = build_runtime(tmp, standin, args.database_url, args.deferred)
        sim = SlackSimulator("http://127.0.0.1:9", SECRET)

        texts = [text for _, text in load_texts()]
        # Each run's interactions are new: against a database kept from an earlier run
        # (a PostgreSQL URL), repeated keys would be answered as duplicates, not filed.
        run = uuid.uuid4().hex[:12]

        def body(n: int) -> bytes:
            typed = (f"sev2 {texts[n % len(texts)]} #{n}" if args.detect
                     else f"sev2 lang:ar profile request #{n}")
            return sim.command_body("/emergency", typed,
                                    f"U0REQ{n % 50:05d}", "C0GENERAL1",
                                    trigger_id=f"{n}.1111.{run}{n:06d}")

        for n in range(args.warmup):
            wsgi_post(runtime.wsgi, body(n))
        if args.sql:
            from bench.sqlcount import count_sql

            own = runtime.rosters.revision_reads  # on a connection of its own: not seen
            before = own.own_reads                # by the engine's events
            with count_sql(runtime.engine) as counted:
                wsgi_post(runtime.wsgi, body(10**6))
            extra = own.own_reads - before
            print("\n".join(["(the teams' revisions, on their own connection)"] * (extra > 0)
                             + counted.sql))
            print(f"{counted.statements + extra} statements, {counted.transactions} "
                  f"transactions, {counted.round_trips + extra} round trips to PostgreSQL "
                  f"({counted.pings} pings)")
        if not args.no_cprofile:
            profile(runtime, [body(n) for n in range(args.warmup, args.warmup + args.requests)],
                    args)
        # The same loop unprofiled, best of three rounds (the machine may be shared):
        # the CPU the profile's overhead hides.
        best, n = (float("inf"), float("inf")), args.warmup + args.requests
        for _ in range(3):
            cpu = cpu_round(runtime, [body(n + i) for i in range(args.requests)],
                            args.deferred)
            best = min(best, cpu, key=sum)
            n += args.requests
        print(f"unprofiled: {sum(best) * 1000:.2f} ms of CPU per request (best of 3 "
              f"rounds)" + (f": {best[0] * 1000:.2f} ms answering, {best[1] * 1000:.2f}"
                            " ms on the router's thread" if args.deferred else ""))
    finally:
        if runtime is not None:
            runtime.close()
        standin.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
