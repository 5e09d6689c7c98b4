"""Sweeps (PRODUCT.md "Crisis mode, sweeps, trends, reports"; docs/design.md "Sweeps"):
managers start and stop them; the person whose turn it is answers "Nothing found" or
files what they found. The background pass is `sweep_turns.run_pass`.

Each command is one transaction and writes nothing when anything is wrong. Starts and
stops of a team take turns on the team's "sweeps" lock row (FOR UPDATE on PostgreSQL;
BEGIN IMMEDIATE on SQLite), so two managers starting the same language at once start
one sweep."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import update

from bot.clock import Clock
from bot.core import escalation_words, refs
from bot.core import sweeps as rules
from bot.core.model import Team
from bot.services.errors import ServiceError
from bot.services.schedules import RosterCache
from bot.services.sweep_turns import covering, record_found, run_pass
from bot.store import sweeps as store
from bot.store.db import SQLITE_BEGIN
from bot.store.notices import lock_cursor
from bot.store.sweep_tables import SweepRow, SweepTurnRow

__all__ = ["SweepService", "TurnForm"]

LOCK = "sweeps"  # the notice_cursors kind that serializes a team's sweep starts and stops
EXAMPLE = "oncall sweep start ar every=30m until=6h"
NOT_YOURS = "this sweep is not yours, or no longer exists"


@dataclass(frozen=True)
class TurnForm:
    """What the "Found something" form needs of a turn."""

    id: int
    team: str
    language: str
    crises: tuple[str, ...]  # the names of the running crises of its language


def _lang(code: str) -> str:
    return escalation_words.language(code)


def _every(every: timedelta) -> str:
    """'30 min', '1 hour', '2 hours', '90 min'."""
    minutes = int(every.total_seconds() // 60)
    if minutes % 60:
        return f"{minutes} min"
    return f"{minutes // 60} hour" + ("s" if minutes > 60 else "")


class SweepService:
    def __init__(self, session_factory, rosters: RosterCache, clock: Clock):
        self._sf = session_factory
        self.rosters = rosters
        self.clock = clock

    def run(self) -> int:
        """One background pass (turns, nudges, reports); the messages queued."""
        return run_pass(self._sf, self.rosters, self.clock.now())

    # -- managers ------------------------------------------------------------------------

    def start(self, team: Team, user: str, languages: tuple[str, ...],
              every: timedelta | None, until: datetime | None) -> str:
        """Start a sweep of each of `languages` (() or ("all",): every language of the
        team); the first turn goes out at once."""
        every = every or rules.DEFAULT_EVERY
        problem = rules.every_problem(every)
        if problem:
            raise ServiceError(f"{problem}; give every= from 5m to 12h, e.g. "
                               + refs.command(EXAMPLE))
        langs = team.languages if languages in ((), ("all",)) else languages
        unserved = [c for c in langs if c not in team.languages]
        if unserved:
            raise ServiceError(f"team {team.name} does not serve {', '.join(unserved)}; it "
                               f"serves {', '.join(team.languages)}. Example: "
                               + refs.command(EXAMPLE))
        now = self.clock.now()
        if until is not None and until <= now:
            raise ServiceError(f"until= is {refs.moment(until)}, which has passed; give a "
                               "later time or a length, e.g. " + refs.command(EXAMPLE))
        with self._sf() as session, session.begin():
            session.connection(execution_options={SQLITE_BEGIN: "IMMEDIATE"})
            lock_cursor(session, team.name, LOCK, now)
            running = {s.language: s for s in store.running(session, team.name)}
            already = [c for c in langs if c in running]
            if len(already) == len(langs):
                raise ServiceError(self._already(running, already))
            for code in langs:
                if code not in running:
                    session.add(SweepRow(team=team.name, language=code,
                                         every_s=int(every.total_seconds()), until_utc=until,
                                         next_due_utc=now, started_by=user, started_utc=now))
        started = [c for c in langs if c not in already]
        names = ", ".join(_lang(c) for c in started)
        end = f"until {refs.moment(until)}" if until else "until stopped"
        text = (f"Sweeps started by {refs.person(user)}: {names}, every {_every(every)}, {end}. "
                "The on-call readers of each language take turns (fewest sweeps first; "
                "nobody away or on a break), starting now. Stop with "
                + refs.command("oncall sweep stop " + (started[0] if len(started) == 1
                                                       else "all")) + ".")
        if already:
            text += " " + self._already(running, already)
        return text

    def _already(self, running: dict[str, SweepRow], codes: list[str]) -> str:
        lines = []
        for code in codes:
            s = running[code]
            lines.append(f"A {_lang(code)} sweep is already running (every "
                         f"{_every(timedelta(seconds=s.every_s))}, since "
                         f"{refs.moment(s.started_utc)}); to change it, stop it first: "
                         + refs.command(f"oncall sweep stop {code}") + ".")
        return " ".join(lines)

    def stop(self, team: Team, user: str, languages: tuple[str, ...]) -> str:
        """Stop the sweeps of `languages` (() or ("all",): every running one); turns
        sent and not answered yet are neither nudged nor reported any more."""
        now = self.clock.now()
        with self._sf() as session, session.begin():
            session.connection(execution_options={SQLITE_BEGIN: "IMMEDIATE"})
            lock_cursor(session, team.name, LOCK, now)
            running = store.running(session, team.name)
            if languages not in ((), ("all",)):
                wanted = set(languages)
                missing = [c for c in languages if c not in {s.language for s in running}]
                if missing:
                    now_running = ", ".join(s.language for s in running) or "none"
                    raise ServiceError(f"no {_lang(missing[0])} sweep is running (running: "
                                       f"{now_running}); e.g. "
                                       + refs.command("oncall sweep stop all"))
                running = [s for s in running if s.language in wanted]
            if not running:
                raise ServiceError("no sweep is running; start one with "
                                   + refs.command(EXAMPLE))
            ids = [s.id for s in running]
            session.execute(update(SweepRow).where(SweepRow.id.in_(ids)).values(
                stopped_utc=now, stopped_by=user, next_due_utc=None))
            session.execute(update(SweepTurnRow).where(
                SweepTurnRow.sweep_id.in_(ids), SweepTurnRow.answer.is_(None),
                SweepTurnRow.reported_utc.is_(None)).values(cancelled_utc=now))
            names = ", ".join(_lang(s.language) for s in running)
        return f"Sweeps stopped by {refs.person(user)} at {refs.moment(now)}: {names}."

    def status(self, team: Team) -> str:
        with self._sf() as session:
            running = store.running(session, team.name)
            counts = store.tally(session, team.name, (),
                                 min((s.started_utc for s in running), default=self.clock.now()))
            lines = [f"• {_lang(s.language)}: every {_every(timedelta(seconds=s.every_s))}, "
                     + (f"until {refs.moment(s.until_utc)}" if s.until_utc else "until stopped")
                     + (f", next turn {refs.moment(s.next_due_utc)}" if s.next_due_utc else "")
                     + ", {} done, {} missed".format(*counts.get(s.language, (0, 0)))
                     for s in running]
        if not lines:
            return "No sweep is running. Start one with " + refs.command(EXAMPLE) + "."
        return "*Sweeps running*\n" + "\n".join(lines)

    # -- the person whose turn it is ------------------------------------------------------

    def _own(self, session, turn_id: int, user: str) -> SweepTurnRow:
        turn = session.get(SweepTurnRow, turn_id, with_for_update=True, populate_existing=True)
        if turn is None or turn.user != user:
            raise ServiceError(NOT_YOURS)
        return turn

    def nothing_found(self, turn_id: int, user: str, channel: str | None, ts: str | None
                      ) -> str:
        """Record "Nothing found"; the text that replaces the sweep DM."""
        now = self.clock.now()
        with self._sf() as session, session.begin():
            turn = self._own(session, turn_id, user)
            _where(turn, channel, ts)
            lang = _lang(turn.language)
            if turn.answer == store.FOUND:
                return (f"Your {lang} sweep of {refs.moment(turn.start_utc)} already filed "
                        "a request; nothing more is needed.")
            if turn.answer is None:
                turn.answer, turn.answered_utc = store.NOTHING, now
            at = turn.answered_utc or now
        return (f":white_check_mark: {lang} sweep of {refs.moment(turn.start_utc)}: nothing "
                f"found, recorded at {refs.moment(at)}. Thank you.")

    def form(self, turn_id: int, user: str, channel: str | None = None,
             ts: str | None = None) -> TurnForm:
        """The turn's form, checked to be the asker's (and where its DM is, recorded)."""
        with self._sf() as session, session.begin():
            turn = self._own(session, turn_id, user)
            _where(turn, channel, ts)
            crises = tuple(c.name for c in covering(session, turn.team, turn.language))
            return TurnForm(turn.id, turn.team, turn.language, crises)

    def found(self, turn_id: int, request_id: int) -> tuple[str | None, str | None]:
        """Record that the turn found something (the request filed from its form);
        where the sweep DM is, to edit it."""
        now = self.clock.now()
        with self._sf() as session, session.begin():
            record_found(session, turn_id, request_id, now)
            turn = session.get(SweepTurnRow, turn_id)
            return (turn.dm_channel, turn.dm_ts) if turn is not None else (None, None)


def _where(turn: SweepTurnRow, channel: str | None, ts: str | None) -> None:
    if channel and ts and turn.dm_ts is None:
        turn.dm_channel, turn.dm_ts = channel, ts
