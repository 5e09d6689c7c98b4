"""The composition root: the one place that wires storage, services, Slack and jobs.

`serve`, `worker`, `demo` and the end-to-end tests all build a `Runtime`; they
differ only in the settings, the clock and whether the jobs run.
"""

from __future__ import annotations

import contextlib
import logging
import time
from concurrent.futures import Executor, ThreadPoolExecutor
from datetime import UTC, timedelta
from pathlib import Path

from slack_bolt import App
from slack_sdk import WebClient
from sqlalchemy.exc import IntegrityError

from bot.app.web import create_wsgi
from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.jobs.router import Router
from bot.jobs.scheduler import Jobs
from bot.schedules import ics
from bot.schedules.holidays import holiday_dates
from bot.services import schedules as schedule_svc
from bot.services.escalation import EscalationService
from bot.services.feeds import FeedService
from bot.services.handoffs import HandoffService
from bot.services.intake import Filed, IntakeService
from bot.services.outbox import Outbox
from bot.services.requests import RequestService
from bot.services.rotations import RotationService
from bot.slack import oncall
from bot.slack.client import make_web_client
from bot.slack.listeners import Deps, Listeners
from bot.slack.permissions import ManagerDirectory
from bot.slack.routes import register
from bot.slack.sender import SlackSender
from bot.store.db import make_engine, migrate, session_factory
from bot.store.paging_tables import SeenEventRow

log = logging.getLogger(__name__)
STALE_SENDING = timedelta(seconds=60)
RECOVER_EVERY = 10.0  # seconds between looks for rows a dead process left `sending`
# Requests filed inline at once before the next ones are only committed and left to the
# router thread (bot/jobs/router.py), so acknowledgements never queue behind routing.
INLINE_LIMIT = 2


class Runtime:
    def __init__(self, settings: Settings, clock: Clock | None = None,
                 client: WebClient | None = None, tick_interval: float = 0.25,
                 listener_threads: int = 8, inline_limit: int = INLINE_LIMIT,
                 migrate_schema: bool = True, executor: Executor | None = None):
        """`executor`: runs the listeners and the deliveries instead of the two thread
        pools (a profile passes one that runs each task at once, on the caller's thread)."""
        self.settings = settings
        self.clock = clock or SystemClock()
        self.engine = make_engine(settings.database_url)
        if migrate_schema:  # `serve` migrates before it starts the server
            migrate(self.engine)
        self.sessions = session_factory(self.engine, immediate=True)
        self.reads = session_factory(self.engine)
        self.rosters = schedule_svc.RosterCache(self.reads, holiday_dates)
        self.intake = IntakeService(
            self.sessions, self.rosters, self.clock,
            intake_session_factory=session_factory(self.engine, immediate=True, urgent=True))
        self.escalation = EscalationService(self.sessions, self.rosters, self.clock)
        self.requests = RequestService(self.reads, self.rosters)
        self.outbox = Outbox(self.sessions, self.clock, on_refused=self._page_refused)
        self.client = client or make_web_client(settings.slack_bot_token or "",
                                                settings.slack_api_url)
        self.sender = SlackSender(self.client, self._manager_group)
        self.bolt = App(
            client=self.client,
            signing_secret=settings.slack_signing_secret or "",
            token_verification_enabled=False,
            listener_executor=executor or ThreadPoolExecutor(max_workers=listener_threads,
                                                             thread_name_prefix="bolt"),
        )
        self.handoffs = HandoffService(self.sessions, self.rosters, self.clock)
        self.feeds = FeedService(self.sessions, self.rosters, self.clock, settings.public_url)
        self.managers = ManagerDirectory(self.client)
        self.rotations = RotationService(self.sessions, self.rosters, self.clock,
                                         group_members=self.managers.group_members,
                                         holiday_dates=holiday_dates)
        self.oncall = oncall.OncallCommands(oncall.OncallDeps(
            rotations=self.rotations, paging=self.requests, managers=self.managers,
            clock=self.clock, deliver=self.deliver_soon, reports_session_factory=self.reads,
            feeds=self.feeds if settings.public_url else None,
            enqueue_direct=self.outbox.enqueue_direct))
        self._delivery = executor or ThreadPoolExecutor(max_workers=2,
                                                        thread_name_prefix="deliver")
        self.router = Router(self.intake, self.deliver_filed, inline_limit)
        self.listeners = Listeners(Deps(
            intake=self.intake, escalation=self.escalation, requests=self.requests,
            deliver=self.deliver_soon, deliver_filed=self.deliver_filed,
            seen_event=self.seen_event, take=self.router.take,
            publish_home=lambda user: self.oncall.publish_home(self.client, user)))
        register(self.bolt, self.listeners, self.oncall)
        self.wsgi = create_wsgi(self.bolt, self.health, feeds=self._calendar)
        self.jobs = Jobs(self.tick, tick_interval)
        self._last_recover = float("-inf")

    # -- wiring helpers ------------------------------------------------------------------

    def _calendar(self, name: str) -> tuple[int, bytes] | None:
        feed = self.feeds.render(name)
        if feed is None:
            return None
        return 200, ics.calendar(feed.roster, feed.pieces, feed.title, stamp=feed.stamp)

    def _manager_group(self, team: str) -> str | None:
        try:
            return self.rosters.get(team).team.manager_group
        except Exception:  # noqa: BLE001 - a missing team just means no mention
            return None

    def _page_refused(self, page_id: int, code: str) -> None:
        """Slack refused a page DM for good: the escalation moves on now (the next
        candidate, else the next step), and what that wrote goes out on the delivery
        threads. Not on this thread: it holds the request's outbox lock."""
        moved = self.escalation.page_undeliverable(page_id, code)
        if moved.changed:
            with contextlib.suppress(RuntimeError):  # shutting down: the next sweep
                self._delivery.submit(self._deliver_logged, moved.request_id)

    def deliver(self, request_id: int | None = None) -> None:
        self.outbox.deliver(self.sender, request_id)

    def deliver_soon(self, request_id: int | None = None) -> None:
        """The page DMs now, on this (listener) thread, since someone is waiting for them;
        the rest on the delivery threads, so a listener that has acknowledged Slack goes
        back to taking requests instead of waiting on Slack's Web API."""
        if request_id is not None:
            try:
                self.outbox.deliver_pages(self.sender, request_id)
            except Exception:  # the rows stay pending; the delivery threads retry them
                log.exception("sending the pages of request %s failed", request_id)
        # Shutting down: the rows stay pending and the next process's sweep sends them.
        with contextlib.suppress(RuntimeError):
            self._delivery.submit(self._deliver_logged, request_id)

    def deliver_filed(self, filed: Filed) -> None:
        """A request just filed or routed: its messages were written already claimed;
        the page DMs go now, on this thread, the rest on the delivery threads, and all
        of them are settled in one transaction there."""
        if filed.claimed is None:
            # A duplicate (its first filing delivers it) or a request only received
            # (the router delivers it once routed).
            if filed.request.status != "received":
                self.deliver_soon(filed.request.id)
            return
        try:
            self.outbox.deliver_claimed(self.sender, filed.claimed, self._later)
        except Exception:  # left `sending`: recovered and sent again (at least once)
            log.exception("sending the messages of request %s failed", filed.request.id)

    def _later(self, task) -> None:
        def run() -> None:
            try:
                task()
            except Exception:  # left `sending`: recovered and sent again (at least once)
                log.exception("delivering a filed request's messages failed")
        self._delivery.submit(run)

    def _deliver_logged(self, request_id: int | None) -> None:
        try:
            self.outbox.deliver(self.sender, request_id)
        except Exception:  # the rows stay pending; the reconciler's sweep retries them
            log.exception("delivering the outbox of request %s failed", request_id)

    def tick(self) -> None:
        """One reconciler pass: fire due deadlines, then send what is waiting."""
        self.escalation.reconcile()
        # Handoff/reminder DMs and channel notes; open requests whose pages went to
        # someone now off shift are paged to the incoming reader.
        handed = self.handoffs.run()
        if handed.repage:
            self.escalation.repage(handed.pairs())
        # A row stuck in `sending` this long belongs to a process that died; looking
        # for them is a write, so not on every tick.
        if time.monotonic() - self._last_recover >= RECOVER_EVERY:
            self._last_recover = time.monotonic()
            self.outbox.recover(STALE_SENDING)
        self.outbox.deliver(self.sender)

    def recover(self) -> None:
        """At start-up of the only process: what a dead one was sending goes out again."""
        released = self.outbox.recover()
        if released:
            log.warning("re-queued %d message(s) a previous process was sending", released)
        # Requests a dead process committed but did not route yet.
        self.router.wake()

    def seen_event(self, event_id: str) -> bool:
        if not event_id:
            return False
        try:
            with self.sessions() as session, session.begin():
                session.add(SeenEventRow(event_id=event_id, at_utc=self.clock.now()))
        except IntegrityError:
            return True
        return False

    def health(self) -> dict:
        return {"ok": True, "teams": self.requests.teams(), "outbox_pending": self.outbox.pending(),
                "now": self.clock.now().astimezone(UTC).isoformat()}

    def bootstrap(self, path: Path) -> list[str]:
        """Import the schedules when the database holds no team yet."""
        return bootstrap(self.sessions, self.reads, path)

    def warm_up(self) -> None:
        """Load the language model now, not during someone's first emergency (about a
        second), which would eat into Slack's 3-second acknowledgement window."""
        for name in schedule_svc.team_names(self.reads):
            self.intake.detector.detect("warm up", self.rosters.get(name).team.languages)

    def start_jobs(self, recover: bool = True) -> None:
        if recover:
            self.recover()
        self.jobs.start()

    def close(self) -> None:
        self.jobs.stop()
        self.router.stop()
        self._delivery.shutdown(wait=True)
        self.engine.dispose()


def bootstrap(sessions, reads, path: Path) -> list[str]:
    """Import the schedules at `path` when the database holds no team yet; the names
    of the teams imported."""
    from bot.schedules.reader import load_schedules

    if schedule_svc.team_names(reads):
        return []
    teams = load_schedules(path)
    schedule_svc.import_teams(sessions, teams)
    return [t.name for t in teams]
