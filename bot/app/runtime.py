"""The composition root: the one place that wires storage, services, Slack and jobs.

`serve`, `worker`, `demo` and the end-to-end tests all build a `Runtime`; they
differ only in the settings, the clock and whether the jobs run.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

from slack_bolt import App
from slack_sdk import WebClient
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from bot.app import metrics, roles
from bot.app.first_import import bootstrap, import_configured
from bot.app.health import Probes
from bot.app.pacing import RosterPace, reached, seconds_until, sweep_for
from bot.app.senders import Senders, contact_senders
from bot.app.twilio_hooks import TwilioHooks
from bot.app.web import create_wsgi
from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.core.model import Team
from bot.jobs.acks_first import MAX_WAIT as ACKS_FIRST_WAIT
from bot.jobs.acks_first import AcksFirst
from bot.jobs.dispatch import Dispatcher
from bot.jobs.heartbeat import HeartbeatPinger
from bot.jobs.leases import LeaseKeeper
from bot.jobs.router import INLINE_WAIT, Router
from bot.jobs.scheduler import Jobs
from bot.schedules import ics
from bot.schedules.holidays import holiday_dates
from bot.services import schedules as schedule_svc
from bot.services.checkins import CheckinService
from bot.services.contact_answers import ContactAnswers
from bot.services.crisis import CrisisService
from bot.services.crisis_card import CrisisCards
from bot.services.digests import Digests
from bot.services.escalation import EscalationService
from bot.services.feeds import FeedService
from bot.services.handoffs import HandoffService
from bot.services.health import Health, ProcessInfo
from bot.services.intake import Filed, IntakeService
from bot.services.oncall_groups import OncallGroupService
from bot.services.outbox import Outbox
from bot.services.pauses import PauseService
from bot.services.requests import RequestService
from bot.services.retention import Retention
from bot.services.rotations import RotationService
from bot.services.sensitivity import SensitivityService
from bot.services.sweeps import SweepService
from bot.services.trends import TrendService
from bot.services.trends_refused import TrendRefusals
from bot.slack import oncall
from bot.slack.client import make_web_client
from bot.slack.crisis_channel import refresh_cards, set_up_crises
from bot.slack.groups import SlackGroupWriter
from bot.slack.listeners import Deps, Listeners
from bot.slack.permissions import ManagerDirectory
from bot.slack.routes import register
from bot.slack.sender import SlackSender
from bot.store import wakeups
from bot.store.db import make_engine, migrate, read_session_factory, session_factory
from bot.store.liveness import Liveness
from bot.store.paging import forget_seen_before
from bot.store.paging_tables import SeenEventRow

log = logging.getLogger(__name__)
# Seen event ids and signed-request keys are kept a day: Slack retries an event within
# the hour and a signature is good for 5 minutes.
SEEN_KEPT, PRUNE_EVERY = timedelta(days=1), timedelta(minutes=10)
PURGE_EVERY = timedelta(days=1)  # request text past each team's retention goes daily
CRISIS_CARD_EVERY = timedelta(minutes=3)  # active crises' pinned status cards refreshed
# Requests filed inline at once before the next ones are only committed and left to the
# router thread (bot/jobs/router.py), so acknowledgements never queue behind routing.
INLINE_LIMIT = 2
# Loops firing due steps at once on PostgreSQL (each is a connection while it fires).
FIRING_WORKERS = 4


class Runtime:
    def __init__(self, settings: Settings, clock: Clock | None = None,
                 client: WebClient | None = None, tick_interval: float | None = None,
                 listener_threads: int = 8, inline_limit: int = INLINE_LIMIT,
                 migrate_schema: bool = True, executor: Executor | None = None,
                 role: str = "serve", inline_wait: float = INLINE_WAIT):
        """`executor`: runs the listeners and the deliveries instead of the two thread
        pools (a profile passes one that runs each task at once, on the caller's thread).
        `role` (serve | worker | web, bot.app.roles): what this process does; its name
        in its heartbeat and metrics. `inline_limit`, `inline_wait`: bot.jobs.router.
        `tick_interval`: the reconciler's safety sweep, the longest it sleeps (default:
        5 s on PostgreSQL, 1 s on SQLite; bot.app.pacing says why)."""
        self.settings = settings
        self.clock = clock or SystemClock()
        self.engine = make_engine(settings.database_url)
        # PostgreSQL: this process's number and the lock that says it lives, before the
        # first connection (each carries the number) and the first claim (store.liveness).
        self.liveness = Liveness(self.engine)
        self.liveness.start()
        if migrate_schema:  # `serve` migrates before it starts the server
            migrate(self.engine)
        self.sessions = session_factory(self.engine, immediate=True)
        self.reads = read_session_factory(self.engine)
        self.rosters = schedule_svc.RosterCache(self.reads, holiday_dates)
        part = roles.role(role)  # what this process does (bot.app.roles)
        self.intake = IntakeService(
            self.sessions, self.rosters, self.clock,
            intake_session_factory=session_factory(self.engine, immediate=True, urgent=True),
            claim_on_filing=part.claim_on_filing)
        self.escalation = EscalationService(self.sessions, self.rosters, self.clock)
        # Steps fired by several loops at once where claims skip locked rows (PostgreSQL):
        # a survivor fires a dead worker's share on time (EscalationService.reconcile).
        self._firing_workers = FIRING_WORKERS if self.engine.dialect.name == "postgresql" else 1
        self.requests = RequestService(self.reads, self.rosters)
        # Self-monitoring: heartbeats and readiness from the database, this process's
        # counters in memory (bot.app.metrics says why), the outside heartbeat.
        self.health = Health(self.sessions, self.reads, self.clock,
                             ProcessInfo(role, socket.gethostname(), os.getpid()))
        self.metrics = metrics.Metrics(self.health.process.label, self.health.snapshot)
        self.heartbeat = HeartbeatPinger(settings.heartbeat_url, self.clock)
        self.outbox = Outbox(self.sessions, self.clock, on_refused=self._page_refused,
                             on_settled=self._settled)
        self.client = client or make_web_client(settings.slack_bot_token or "",
                                                settings.slack_api_url)
        # The outbox's own client: one attempt per call and no sleeping through a
        # Retry-After on a sending thread (the outbox retries, and looks up first).
        self.slack_sender = SlackSender(client or make_web_client(
            settings.slack_bot_token or "", settings.slack_api_url, retries=False),
            self._manager_group, self._reader_zone, now=self.clock.now)
        # Pages by SMS, call and email go through the same outbox (bot.app.senders).
        self.sender = Senders(self.slack_sender, *contact_senders(settings))
        # Background work waits its turn behind the answers to Slack (bot.jobs.acks_first);
        # not when every hand-off runs inline (a profile): it would wait on itself.
        self.acks_first = AcksFirst(max_wait=0 if executor is not None else ACKS_FIRST_WAIT)
        self.dispatch = Dispatcher(self.outbox, self.sender, executor=executor,
                                   acks_first=self.acks_first)
        # Leases renewed and expired ones taken over on a thread of their own, never
        # behind the reconciler's pass; it starts with the first row this process sends
        # (a web process without jobs too), or with the jobs. What it takes over goes to
        # the sending threads at once.
        self.leases = LeaseKeeper(self.outbox.renew, self.outbox.take_over_timed,
                                  taken=lambda _: self.dispatch.sweep())
        self.outbox.leases.on_hold = self.leases.start
        # An intake channel in a surge: its cards and lines go out combined, one pass at
        # a time per channel, on a sending thread (bot.core.surge).
        self.digests = Digests(self.outbox, self.sessions, self.clock)
        self.outbox.on_surge = lambda channel: self.dispatch.task(
            f"digest:{channel}", lambda: self.digests.deliver(self.sender, channel))
        # Listeners answer Slack once they acknowledge, and end on these threads (slack.detached).
        self._listening = executor or ThreadPoolExecutor(max_workers=listener_threads,
                                                         thread_name_prefix="bolt")
        self.bolt = App(client=self.client, signing_secret=settings.slack_signing_secret or "",
                        token_verification_enabled=False, process_before_response=True)
        self.handoffs = HandoffService(self.sessions, self.rosters, self.clock)
        self.pauses = PauseService(self.sessions, self.rosters, self.clock)
        self.checkins = CheckinService(self.sessions, self.rosters, self.clock)
        self.trends = TrendService(self.sessions, self.rosters, self.clock)
        self.trend_refusals = TrendRefusals(self.sessions, self.rosters, self.clock)
        self.crises = CrisisService(self.sessions, self.clock, self.rosters)
        self.sweeps = SweepService(self.sessions, self.rosters, self.clock)
        self.crisis_cards = CrisisCards(self.sessions, self.clock, self.rosters)
        # On-call user groups: planned by the reconciler, sent on a sending thread with
        # the outbox's client (one attempt per call, no sleeping through a Retry-After).
        self.groups = OncallGroupService(self.sessions, self.rosters, self.clock)
        self.group_writer = SlackGroupWriter(self.slack_sender.client)
        self.feeds = FeedService(self.sessions, self.rosters, self.clock, settings.public_url)
        self.managers = ManagerDirectory(self.client)
        self.rotations = RotationService(self.sessions, self.rosters, self.clock,
                                         group_members=self.managers.group_members,
                                         holiday_dates=holiday_dates)
        self.oncall = oncall.OncallCommands(oncall.OncallDeps(
            rotations=self.rotations, paging=self.requests, managers=self.managers,
            clock=self.clock, deliver=self.deliver_soon, reports_session_factory=self.reads,
            feeds=self.feeds if settings.public_url else None,
            enqueue_direct=self.outbox.enqueue_direct, pauses=self.pauses,
            checkins=self.checkins, crises=self.crises, sweeps=self.sweeps))
        # Slack calls a listener would otherwise make after acknowledging (opening a
        # form, an ephemeral answer): on their own threads, so a slow or rate-limited
        # Slack never holds the threads that acknowledge.
        self._calls = executor or ThreadPoolExecutor(max_workers=4, thread_name_prefix="slack")
        self.router = Router(self.intake, self.deliver_filed, inline_limit,
                             acks_first=self.acks_first,
                             grace=part.routing_grace, taken=self.metrics.filed,
                             inline_wait=inline_wait)
        self.sensitivity = SensitivityService(self.sessions, self.rosters, self.clock,
                                              group_members=self.managers.group_members)
        self.listeners = Listeners(Deps(
            intake=self.intake, escalation=self.escalation, requests=self.requests,
            deliver=self.deliver_soon, deliver_filed=self.deliver_filed,
            seen_event=self.seen_event, take=self.router.take, later=self.call_later,
            publish_home=lambda user: self.oncall.publish_home(self.client, user),
            sensitivity=self.sensitivity))
        self._urgent = session_factory(self.engine, immediate=True, urgent=True)
        register(self.bolt, self.listeners, self.oncall, self.seen_request, self._listening)
        self.probes = Probes(alive=self.alive, ready=self.health.readiness,
                             metrics=self.metrics.render, metrics_type=metrics.CONTENT_TYPE,
                             metrics_token=settings.metrics_token)
        self.contact_answers = ContactAnswers(self.sessions, self.escalation, self._name_of)
        self.twilio_hooks = TwilioHooks(self.contact_answers, settings.twilio_auth_token,
                                        settings.public_url, self.deliver_soon)
        self.wsgi = create_wsgi(self.bolt, self.probes, settings.slack_signing_secret or "",
                                feeds=self._calendar, twilio=self.twilio_hooks,
                                answering=self.acks_first.answering)
        self.jobs = Jobs(self.scheduled_pass, tick_interval or sweep_for(self.engine.dialect.name))
        # Wake-ups (bot.store.wakeups): a commit here that created work wakes this reconciler,
        # and others where it is theirs (LISTEN/NOTIFY; SQLite: the file watched).
        wakeups.watch(self.engine, self.jobs.wake, lambda: self.jobs.running)
        self.listener = wakeups.across_processes(self.engine, self.jobs.wake, self.liveness)
        self._roster_pace = RosterPace(lambda: (
            self.handoffs.next_pass(), self.checkins.next_pass(), self.trends.next_pass(),
            self.groups.next_pass()))
        self._next_prune = self.clock.now()
        self.retention = Retention(self.sessions, self.rosters, self.clock)
        self._next_purge = self.clock.now()  # once at start, then daily
        self._next_card_refresh = self.clock.now()
        self._cards_busy = threading.Lock()

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

    def _name_of(self, user: str) -> str | None:
        """A specialist's name as this process last loaded the teams (phone replies)."""
        return next((s.name for r in self.rosters.cached()
                     if (s := r.team.specialist(user)) is not None), None)

    def _reader_zone(self, team: str, user: str) -> str | None:
        """The zone a page's times are shown in, from the team as this process last
        loaded it (filing just did): no database read before the page DM goes out."""
        roster = self.rosters.loaded(team) or self.rosters.get(team)
        specialist = roster.team.specialist(user)
        return specialist.timezone if specialist is not None else None

    def _settled(self, outcomes) -> None:
        """The outbox's settle hook: the metrics count them; a trend digest refused
        for good is told to the managers (once), what they can fix."""
        self.metrics.settled(outcomes)
        if self.trend_refusals.settled(outcomes):
            self.deliver_soon(None)

    def _page_refused(self, page_id: int, code: str) -> None:
        """Slack refused a page DM for good: the escalation moves on now (the next
        candidate, else the next step), and what that wrote goes to the sending threads."""
        moved = self.escalation.page_undeliverable(page_id, code)
        if moved.changed:
            self.deliver_soon(moved.request_id)

    def deliver(self, request_id: int | None = None) -> None:
        """Send what is due now, on this thread (tests and tools; the app hands it to
        the sending threads with `deliver_soon`)."""
        self.outbox.deliver(self.sender, request_id)

    def deliver_soon(self, request_id: int | None = None) -> None:
        """Hand a request's messages to the sending threads; returns at once."""
        self.dispatch.request(request_id)

    def deliver_filed(self, filed: Filed) -> None:
        """A request just filed or routed: its messages were written already claimed;
        the sending threads send its pages, then the rest, and settle them."""
        if filed.claimed is None:
            # A duplicate (its first filing delivers it) or a request only received
            # (the router delivers it once routed).
            if filed.request.status != "received":
                self.deliver_soon(filed.request.id)
            return
        self.dispatch.filed(filed.claimed)

    def set_up_crises(self) -> None:
        set_up_crises(self.slack_sender.client, self.sessions, self.crisis_cards,
                      self.rosters, self.clock.now)
        self.deliver_soon(None)

    def crisis_work(self) -> None:
        """A crisis's channel and pinned card set up; status cards edited once what
        they show changed (a few seconds apart at most), and all of them every
        CRISIS_CARD_EVERY for their time-based parts. One small read a pass."""
        due = self.crisis_cards.due()
        if due.setup:
            self.dispatch.task("crisis-channels", self.set_up_crises)
        if self.clock.now() >= self._next_card_refresh:
            self._next_card_refresh = self.clock.now() + CRISIS_CARD_EVERY
            self.dispatch.task("crisis-cards", lambda: self.refresh_cards(None))
        elif due.stale:
            self.dispatch.task("crisis-cards-changed", lambda: self.refresh_cards(due.stale))

    def refresh_cards(self, only: tuple[int, ...] | None) -> None:
        """One refresh at a time in this process: a pass finding a card still behind
        while Slack is slow to answer must not start a second edit of it."""
        if not self._cards_busy.acquire(blocking=False):
            return
        try:
            refresh_cards(self.slack_sender.client, self.sessions, self.crisis_cards, only)
        finally:
            self._cards_busy.release()

    def apply_groups(self) -> None:
        """Send the on-call groups' new members to Slack (a sending thread); the notes
        to managers it wrote go out next."""
        if self.groups.apply(self.group_writer):
            self.deliver_soon(None)

    def call_later(self, task) -> None:
        """A Slack call a listener needs made, made on another thread (see _calls)."""
        def run() -> None:
            try:
                task()
            except Exception:  # a form that did not open: the person can try again
                log.exception("a Slack call after acknowledging failed")
        with contextlib.suppress(RuntimeError):  # shutting down
            self._calls.submit(run)

    def tick(self, wait: bool = True) -> None:
        """One whole reconciler pass: fire due deadlines, run handoffs, and hand what is
        due to the sending threads (tests and tools, by the injected clock; they wait
        until the sends are done unless `wait=False`). Leases are the lease keeper's
        (`self.leases`), not a pass's."""
        self._pass(None)
        if wait:
            self.dispatch.wait_idle()
            self.heartbeat.wait_idle()

    def scheduled_pass(self) -> float | None:
        """The scheduled job's pass: one look at what is due, then only those parts;
        never waits for Slack. Returns the seconds until the next due work it knows."""
        with self.reads() as session:
            look = wakeups.outlook(session)
        return self._pass(look)

    def _pass(self, look: wakeups.Outlook | None) -> float | None:
        """The parts of a pass; with `look`, only those it shows due (bot.app.pacing)."""
        now = self.clock.now()
        if look is None or reached(look.next_deadline, now):
            self.escalation.reconcile(fired=self.deliver_soon,
                                      late=self.metrics.escalation_late,
                                      workers=self._firing_workers)
        if look is None or self._roster_pace.due(look.teams, now):
            self._roster_parts()
            if look is not None:
                self._roster_pace.ran(look.teams, now)
        elif reached(look.groups_next, now):  # members to send (a retry, a claim ended)
            self.dispatch.task("oncall-groups", self.apply_groups)
        if look is None or reached(look.crisis_remind, now):
            self.crises.remind()  # crises without an update for crisis.update_every
        if look is None or reached(look.sweep_next, now):
            self.sweeps.run()  # sweep turns due, their nudges and missed-sweep reports
        if look is None or look.crisis_active:
            self.crisis_work()  # channels set up, status cards kept current
        # Received requests: the router's now, or (a jobs process's) once its grace ends.
        routing = look.received + (self.router.grace or timedelta(0)) if (
            look is not None and look.received is not None) else None
        if reached(routing, now):
            self.router.wake()  # it routes all it can: no time to look again at
            routing = None
        self._housekeeping(now)
        if look is None or reached(look.next_send, now):
            self.dispatch.sweep()
        # The pass completed: say so in the database (at most every 2 s), and to the
        # outside monitor (once a minute, off this thread).
        self.health.beat()
        self.heartbeat.healthy()
        if look is None:
            return None
        return seconds_until(self.clock.now(), (
            *look.times(), routing, self._roster_pace.next, self._next_prune,
            self._next_purge,
            self._next_card_refresh if look.crisis_active else None), started=now)

    def _roster_parts(self) -> None:
        """What follows the rosters: handoff/reminder DMs and channel notes (open
        requests paged to someone now off shift go to the incoming reader), check-ins,
        trend digests, and the on-call user groups."""
        handed = self.handoffs.run()
        if handed.repage:
            self.escalation.repage(handed.pairs())
        self.checkins.run()  # end-of-shift check-in DMs (teams with wellbeing.checkin)
        self.trends.run()  # trend digests every trends_every (teams with trends_channel)
        # On-call user groups follow who is on call now (a handoff, an edit, an import).
        if self.groups.plan():
            self.dispatch.task("oncall-groups", self.apply_groups)

    def _housekeeping(self, now) -> None:
        if now >= self._next_prune:
            self._next_prune = now + PRUNE_EVERY
            with self.sessions() as session, session.begin():
                forget_seen_before(session, now - SEEN_KEPT)
        if now >= self._next_purge:
            self._next_purge = now + PURGE_EVERY
            self.dispatch.task("purge", self.purge)

    def purge(self) -> None:
        """Retention's daily run (its edits of posted messages go through the outbox)."""
        report = self.retention.purge()
        if report.purged:  # the next tick sends the edits of the posted messages
            log.info("purged the text of %d request(s) past retention", len(report.purged))

    def recover(self) -> None:
        """At start-up: what a dead process was sending (leases run out) or left unrouted."""
        self.outbox.recover()
        self.router.wake()

    def seen_event(self, event_id: str) -> bool:
        return _seen(self.sessions, event_id, self.clock.now())

    def seen_request(self, key: str) -> bool:
        """A signed Slack request's key recorded (False), or recorded before (True: a
        replay). It runs before the listener someone waits on, so on SQLite it goes
        ahead of background writers, like intake."""
        return _seen(self._urgent, key, self.clock.now())

    def alive(self) -> bool:
        """Whether this process can reach its database (what /healthz answers)."""
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except Exception as err:  # noqa: BLE001 - unreachable, refused, timed out: all "no"
            log.warning("health check: the database cannot be reached (%s)",
                        type(err).__name__)
            return False
        return True

    def bootstrap(self, path: Path, check: Callable[[list[Team]], None] | None = None
                  ) -> list[str]:
        """Import the schedules when the database holds no team yet (`check` may refuse
        them first, by raising)."""
        return bootstrap(self.engine, self.sessions, self.reads, path, check)

    def import_configured(self) -> list[str]:
        """`serve`, `worker` and the WSGI entry: import what ONCALL_SCHEDULES names
        into an empty database (see `import_configured`)."""
        return import_configured(self.settings, self.engine, self.sessions, self.reads)

    def warm_up(self) -> None:
        """Load the language model now, not during someone's first emergency (about a
        second), which would eat into Slack's 3-second acknowledgement window."""
        for name in schedule_svc.team_names(self.reads):
            self.intake.detector.warm_up(self.rosters.get(name).team.languages)

    def start_jobs(self, recover: bool = True) -> None:
        if recover:
            self.recover()
        if self.listener is not None:
            self.listener.start()
        self.leases.start()
        self.jobs.start()

    def close(self) -> None:
        if self.listener is not None:
            self.listener.stop()
        self.jobs.stop()
        self.heartbeat.close()
        self.router.stop()
        self.dispatch.close()
        self.escalation.close()
        self.leases.stop()  # after the last sends settled: they were renewed till then
        self.liveness.stop()
        self._calls.shutdown(wait=True)
        self.rosters.close()
        self.engine.dispose()
        log.info("stopped cleanly: messages under way were sent; any still waiting are "
                 "sent by the bot's next running process")


def _seen(sessions, key: str, now) -> bool:
    """Record `key` in seen_events; True when it was there already (the unique key
    decides, so two processes racing on the same key see one False)."""
    if not key:
        return False
    try:
        with sessions() as session, session.begin():
            session.add(SeenEventRow(event_id=key, at_utc=now))
    except IntegrityError:
        return True
    return False
