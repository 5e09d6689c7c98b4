"""Breaks: `/oncall pause <duration>`, the Home tab's "Take a break", the check-in's
"I need a break" (PRODUCT.md, "Graphic content and the people who read it").

A break takes a person out of paging from now until its end. It is not time off: no
shift moves, and `shifts`, calendars and `coverage` do not show it (routing reads the
`pauses` rows through bot.store.wellbeing). One transaction per decision, `now` from the
clock: the team's breaks lock (a `notice_cursors` row FOR UPDATE; on SQLite the
IMMEDIATE transaction) is taken first, so two readers of one language asking at once
take turns and cannot both leave; then the coverage rule (`bot.core.breaks`) decides;
then, together: the `pauses` row, an audit row and the managers' DMs (outbox).

Who may: the person themself; a manager for anyone on the team (`/oncall pause @user
1h`, `/oncall pause end @user`). The coverage rule is the same for everybody: a
manager who wants someone off anyway sets an override first (`/oncall override`), which
puts a reader on call, and then the break goes through.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from bot.clock import Clock
from bot.core import refs, timezones
from bot.core.breaks import Gap, break_length_problem, uncovered_by_break
from bot.core.escalation import language_name
from bot.core.roster import Roster
from bot.services.errors import ServiceError
from bot.services.schedules import RosterCache
from bot.store import breaks as store
from bot.store import team_audit
from bot.store.db import SQLITE_BEGIN
from bot.store.direct_messages import queue_direct

SessionFactory = Callable[[], Session]
DIRECT_PRIORITY = 4  # after pages, cards and page updates, like handoff DMs
ASKED, CHECKIN = "asked", "checkin"


@dataclass(frozen=True)
class BreakResult:
    """What the asker is told (service text, with references); `until` when it began."""

    accepted: bool
    text: str
    until: datetime | None = None


def local_clock(instant: datetime, tz: str, now: datetime) -> str:
    """'03:40' on the person's wall clock; 'tomorrow 01:10' when it is not today there."""
    loc = timezones.to_local(instant, tz)
    days = (loc.date() - timezones.to_local(now, tz).date()).days
    day = {0: "", 1: "tomorrow "}.get(days, f"{loc:%a} {loc.day} {loc:%b} ")
    return f"{day}{loc:%H:%M}"


def length_words(length: timedelta) -> str:
    """'30-minute', '1-hour', '90-minute'."""
    minutes = int(length.total_seconds() // 60)
    if minutes % 60 == 0:
        return f"{minutes // 60}-hour"
    return f"{minutes}-minute"


def _zone(roster: Roster, user: str) -> str:
    spec = roster.specialist(user)
    return spec.timezone if spec is not None else "UTC"


def _name(roster: Roster, user: str) -> str:
    spec = roster.specialist(user)
    return spec.name.split()[0] if spec is not None and spec.name else refs.person(user)


def managers_of(roster: Roster) -> tuple[str, ...]:
    """Who is told about breaks and check-in answers: the team's managers, by DM only
    (never the escalation channel: how someone is doing is not for a channel)."""
    return tuple(dict.fromkeys(roster.team.managers))


def _why(roster: Roster, user: str, gaps: list[Gap], now: datetime, end: datetime,
         managers: bool = False) -> str:
    """'the only Arabic reader on call who can be paged', and when, if not for the whole
    break: in the person's zone for them, as instants each manager sees in theirs."""
    langs = list(dict.fromkeys(g.language for g in gaps))
    names = " and ".join(language_name(lang) for lang in langs)
    why = f"the only {names} reader on call who can be paged"
    first, last = gaps[0], max(g.end for g in gaps)
    if first.start <= now and last >= end:
        return why  # the whole break
    tz = _zone(roster, user)

    def when(instant: datetime) -> str:
        return refs.moment(instant) if managers else local_clock(instant, tz, now)

    zone = "" if managers else f", {tz} time"
    if first.start <= now:
        return f"{why} until {when(first.end)}{zone}"
    return f"{why} from {when(first.start)} to {when(first.end)}{zone}"


def decide_break(session: Session, roster: Roster, *, subject: str, actor: str,
                 length: timedelta, reason: str, now: datetime) -> BreakResult:
    """The one decision, inside the caller's transaction (which must have taken the
    team's breaks lock: `store.lock_team`). Writes the pause, the audit row and the
    managers' DMs, or on a refusal the audit row and the managers' DM."""
    team = roster.team.name
    end = now + length
    others = {u: iv for u, iv in store.pauses_between(session, team, now, end).items()
              if u != subject}
    gaps = uncovered_by_break(roster, subject, now, end, others)
    who = _name(roster, subject)
    tz = _zone(roster, subject)
    words = length_words(length)
    self_asked = actor == subject
    if gaps:
        why = _why(roster, subject, gaps, now, end)
        what = "a break after the check-in" if reason == CHECKIN else f"a {words} break"
        asked = (f"{refs.person(subject)} asked for {what} at {refs.moment(now)} but is"
                 if self_asked else f"{refs.person(actor)} tried to give "
                 f"{refs.person(subject)} {what} at {refs.moment(now)}, but they are")
        note = (f"{asked} {_why(roster, subject, gaps, now, end, managers=True)}; the break "
                f"was not started. Consider covering: {refs.command('oncall override')} puts "
                "someone else on call.")
        for target in managers_of(roster):
            if target != actor:
                queue_direct(session, target, note, DIRECT_PRIORITY, now)
        team_audit.add_entry(session, team, actor, "pause_refused", {
            "text": note, "user": subject, "minutes": int(length.total_seconds() // 60),
            "reason": reason, "languages": sorted({g.language for g in gaps})}, now)
        you = "you are" if self_asked else f"{who} is"
        return BreakResult(False, (
            f"The break was not started: {you} {why}, so those requests would reach "
            "nobody. Your managers have been told, so they can arrange cover."
            if self_asked else
            f"The break was not started: {you} {why}, so those requests would reach "
            f"nobody. Put someone else on call first with {refs.command('oncall override')}."))
    running = store.current_pause(session, team, subject, now)
    if running is not None:
        running.ended_utc = now  # the new break replaces it
    store.add_pause(session, team=team, user=subject, start=now, end=end, reason=reason,
                    by=actor)
    back = local_clock(end, tz, now)
    given = "" if self_asked else f" (given by {refs.person(actor)})"
    note = (f"{refs.person(subject)} is on a {words} break{given}, from {refs.moment(now)} "
            f"until {refs.moment(end)}: not paged until then.")
    for target in managers_of(roster):
        if target != actor:
            queue_direct(session, target, note, DIRECT_PRIORITY, now)
    if not self_asked:
        queue_direct(session, subject, (
            f"{refs.person(actor)} put you on a break until {back} ({tz} time): nobody "
            f"pages you until then. To end it early: {refs.command('oncall pause end')}."),
            DIRECT_PRIORITY, now)
    team_audit.add_entry(session, team, actor, "pause_started", {
        "text": note, "user": subject, "start": now.isoformat(), "end": end.isoformat(),
        "reason": reason}, now)
    if self_asked:
        text = (f"You're on a break until {back} ({tz} time): nobody pages you until then. "
                "Your shifts stay as they are. To end it early: "
                f"{refs.command('oncall pause end')}, or End break on the bot's Home tab.")
    else:
        text = (f"{refs.person(subject)} is on a break until {back} ({tz} time); they and "
                "the managers have been told.")
    return BreakResult(True, text, end)


class PauseService:
    def __init__(self, session_factory: SessionFactory, rosters: RosterCache, clock: Clock):
        self._sf = session_factory
        self.rosters = rosters
        self.clock = clock

    def pause(self, team: str, actor: str, length: timedelta, subject: str | None = None,
              *, manager: bool = False, reason: str = ASKED) -> BreakResult:
        """Start a break of `subject` (default: the actor) for `length` from now.
        Raises ServiceError (nothing written) for a length out of bounds, someone not
        on the team, or someone else's break asked by a non-manager."""
        subject = subject or actor
        problem = break_length_problem(length)
        if problem:
            raise ServiceError(f"{problem}. Example: /oncall pause 30m")
        roster = self.rosters.get(team)
        if roster.specialist(subject) is None:
            if subject == actor:
                raise ServiceError("breaks are for the team's specialists, and you are not "
                                   "one; nobody pages you")
            raise ServiceError(f"{refs.person(subject)} is not a specialist of this team")
        if subject != actor and not manager:
            raise ServiceError("only managers can give someone else a break; for your own: "
                               "/oncall pause 30m")
        with self._sf() as session, session.begin():
            session.connection(execution_options={SQLITE_BEGIN: "IMMEDIATE"})
            now = self.clock.now()
            store.lock_team(session, team, store.BREAKS_LOCK, now)
            return decide_break(session, roster, subject=subject, actor=actor, length=length,
                                reason=reason, now=now)

    def end(self, team: str, actor: str, subject: str | None = None, *,
            manager: bool = False) -> str:
        """End `subject`'s break now (default: the actor's)."""
        subject = subject or actor
        if subject != actor and not manager:
            raise ServiceError("only managers can end someone else's break; for your own: "
                               "/oncall pause end")
        with self._sf() as session, session.begin():
            session.connection(execution_options={SQLITE_BEGIN: "IMMEDIATE"})
            now = self.clock.now()
            store.lock_team(session, team, store.BREAKS_LOCK, now)
            running = store.current_pause(session, team, subject, now)
            if running is None:
                return ("You're not on a break, so there is nothing to end. To take one: "
                        "/oncall pause 30m" if subject == actor else
                        f"{refs.person(subject)} is not on a break.")
            running.ended_utc = now
            text = f"{refs.person(subject)} ended their break at {refs.moment(now)}."
            if subject != actor:
                text = (f"{refs.person(actor)} ended {refs.person(subject)}'s break at "
                        f"{refs.moment(now)}.")
                queue_direct(session, subject, f"{refs.person(actor)} ended your break: you "
                             "can be paged again.", DIRECT_PRIORITY, now)
            team_audit.add_entry(session, team, actor, "pause_ended", {
                "text": text, "user": subject, "planned_end": running.end_utc.isoformat()}, now)
        if subject == actor:
            return "Your break is over: you can be paged again. Welcome back."
        return f"{refs.person(subject)}'s break is over: they can be paged again."

    def paused_until(self, team: str, user: str) -> datetime | None:
        """When `user`'s break ends, or None when they are not on one (the Home tab)."""
        with self._sf() as session:
            session.connection(execution_options={SQLITE_BEGIN: "DEFERRED"})
            row = store.current_pause(session, team, user, self.clock.now())
            return row.end_utc if row is not None else None
