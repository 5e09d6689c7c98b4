"""The sweeps' background pass (docs/design.md "Sweeps"): each due sweep gives its turn
to an on-call reader of its language, unanswered turns are nudged at half the interval
and reported as missed at the full interval.

Every step is one transaction that claims its row with a compare-and-set (the sweep's
`next_due_utc`, the turn's `nudged_utc` or `reported_utc`) and writes its message to the
outbox, so a restart redoes only what did not commit, and of two workers one sends."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import or_, update
from sqlalchemy.orm import Session

from bot.core import escalation_words, refs
from bot.core import sweeps as rules
from bot.core.roster import Roster
from bot.services.errors import NotFound
from bot.services.pauses import DIRECT_PRIORITY, local_clock
from bot.services.schedules import RosterCache
from bot.store import sweeps as store
from bot.store.crises import ActiveCrisis, active_crises
from bot.store.direct_messages import queue_direct
from bot.store.sweep_tables import SweepRow, SweepTurnRow
from bot.store.wellbeing import paused_at

__all__ = ["covering", "record_found", "run_pass"]

log = logging.getLogger(__name__)
SessionFactory = Callable[[], Session]


def covering(session: Session, team: str, language: str) -> list[ActiveCrisis]:
    """The team's running crises that take requests in `language`."""
    return [c for c in active_crises(session, team)
            if not c.languages or language in c.languages]


def record_found(session: Session, turn_id: int, request_id: int, now: datetime) -> bool:
    """The turn's answer is "found" (a "nothing" answered before is overridden: the
    request says more); the first request filed from it is kept. False when it was
    recorded already."""
    return session.execute(update(SweepTurnRow).where(
        SweepTurnRow.id == turn_id,
        or_(SweepTurnRow.answer.is_(None), SweepTurnRow.answer == store.NOTHING))
        .values(answer=store.FOUND, answered_utc=now, request_id=request_id)).rowcount == 1


def run_pass(sf: SessionFactory, rosters: RosterCache, now: datetime) -> int:
    """One pass; the number of messages queued. A step that fails is logged and tried
    again next pass (its claim did not commit); it stops neither the other steps nor
    the rest of the reconciler's pass."""
    try:
        with sf() as session:
            due = store.due_sweeps(session, now)
            nudges = store.due_nudges(session, now)
            reports = store.due_reports(session, now)
    except Exception:  # noqa: BLE001 - the database away: the next pass tries again
        log.exception("sweep pass could not read its deadlines")
        return 0
    steps = ([lambda s=s: _turn(sf, rosters, *s, now) for s in due]
             + [lambda t=t: _nudge(sf, rosters, t, now) for t in nudges]
             + [lambda t=t: _report(sf, rosters, t, now) for t in reports])
    sent = 0
    for step in steps:
        try:
            sent += step()
        except NotFound:
            pass  # the team was deleted: its sweeps go nowhere
        except Exception:  # noqa: BLE001 - one step must not stop the others
            log.exception("a sweep step failed; the next pass tries it again")
    return sent


# -- a turn ------------------------------------------------------------------------------

def _turn(sf: SessionFactory, rosters: RosterCache, sweep_id: int, team: str,
          seen: datetime, now: datetime) -> int:
    roster = rosters.get(team)  # before the write transaction (its own reads)
    with sf() as session, session.begin():
        sweep = session.get(SweepRow, sweep_id)
        if sweep is None:
            return 0
        every = timedelta(seconds=sweep.every_s)
        start = rules.turn_start(seen, every, now)
        if sweep.until_utc is not None and start >= sweep.until_utc:
            store.claim_sweep(session, sweep_id, seen, None, now)  # over: no turn
            return 0
        if not store.claim_sweep(session, sweep_id, seen,
                                 rules.next_start(start, every, sweep.until_utc), now):
            return 0  # another worker took this turn, or a manager stopped the sweep
        # A turn claimed late (the bot was down) still gets its whole interval.
        base = start if now - start <= every / 4 else now
        user = _whose(session, roster, sweep, now)
        turn = store.add_turn(session, sweep, user, start, rules.nudge_at(base, every),
                              rules.report_at(base, every),
                              reported=now if user is None else None)
        if turn is None:
            return 0
        crises = covering(session, sweep.team, sweep.language)
        if user is None:
            return _tell_missed(session, roster, turn, crises, _nobody_text(turn), now)
        queue_direct(session, user, _turn_text(roster, turn, crises, now), DIRECT_PRIORITY,
                     now, extra={"sweep": turn.id})
        return 1


def _whose(session: Session, roster: Roster, sweep: SweepRow, now: datetime) -> str | None:
    """The on-call reader of the sweep's language with the fewest turns in it, never
    someone away or on a break, and someone sweeping another language now last."""
    readers = []
    for a in roster.on_call_for(sweep.language, now):
        spec = roster.specialist(a.user) if a.user else None
        if spec is not None and not roster.is_away(spec.id, now):
            readers.append((spec.id, spec.name or spec.id))
    return rules.pick(readers, store.turns_taken(session, sweep.id),
                      excluded=paused_at(session, sweep.team, now),
                      busy=store.holding_turns(session, sweep.team, now))


def _zone(roster: Roster, user: str) -> str:
    spec = roster.specialist(user)
    return spec.timezone if spec is not None else "UTC"


def _by_when(roster: Roster, turn: SweepTurnRow, now: datetime) -> str:
    tz = _zone(roster, turn.user or "")
    return f"{local_clock(turn.due_utc, tz, now)} your time ({tz})"


def _what(turn: SweepTurnRow, crises: list[ActiveCrisis]) -> str:
    lang = escalation_words.language(turn.language)
    if not crises:
        return f"new {lang} posts that may need the desk (threats to life, live violence)"
    named = []
    for c in crises:
        words = (" (words: " + ", ".join(refs.typed(w) for w in c.match_words) + ")"
                 if c.match_words else "")
        named.append(f"*{refs.typed(c.name)}*{words}")
    return f"new {lang} posts about the crisis " + " and ".join(named)


def _turn_text(roster: Roster, turn: SweepTurnRow, crises: list[ActiveCrisis],
               now: datetime) -> str:
    lang = escalation_words.language(turn.language)
    return (f":mag: *Your turn to sweep {lang}.* Search the platform for "
            f"{_what(turn, crises)}, and answer by {_by_when(roster, turn, now)}: "
            "*Nothing found*, or *Found something* to file a request in one step.")


def _nudge_text(roster: Roster, turn: SweepTurnRow, now: datetime) -> str:
    lang = escalation_words.language(turn.language)
    return (f":hourglass: Reminder: your {lang} sweep is still open. Answer by "
            f"{_by_when(roster, turn, now)}, or it is reported as missed.")


def _nobody_text(turn: SweepTurnRow) -> str:
    lang = escalation_words.language(turn.language)
    return (f":warning: Nobody could take the {lang} sweep of {refs.moment(turn.start_utc)}: "
            f"no {lang} reader on call is free (the others are away or on a break). Sweep "
            f"{lang} yourself or ask someone: "
            + refs.command(f"oncall who {turn.language}"))


def _missed_text(turn: SweepTurnRow) -> str:
    lang = escalation_words.language(turn.language)
    return (f":warning: Missed sweep: {refs.person(turn.user or '')} did not answer the {lang} "
            f"sweep due by {refs.moment(turn.due_utc)}. {lang} may need someone to sweep "
            "it now.")


def _tell_missed(session: Session, roster: Roster, turn: SweepTurnRow,
                 crises: list[ActiveCrisis], text: str, now: datetime) -> int:
    """To each crisis channel of the language, else the team's managers by DM (else
    the intake channel, when the team lists no managers)."""
    targets = [c.channel for c in crises if c.channel]
    if not targets:
        targets = list(dict.fromkeys(roster.team.managers)) or [roster.team.intake_channel]
    for target in targets:
        queue_direct(session, target, text, DIRECT_PRIORITY, now)
    return len(targets)


# -- nudges and reports -----------------------------------------------------------------

def _filed_meanwhile(session: Session, turn_id: int, now: datetime) -> bool:
    """A request filed from the turn's form whose "found" was never recorded (the
    process died in between): recorded now, and the turn needs no nudge or report."""
    request_id = store.filed_for(session, turn_id)
    if request_id is None:
        return False
    record_found(session, turn_id, request_id, now)
    return True


def _claimed_step(sf: SessionFactory, rosters: RosterCache, turn_id: int, now: datetime,
                  claim, step) -> int:
    """A nudge or a missed-sweep report of a turn, once: in one transaction, unless a
    request was filed from the turn meanwhile, `claim` (a compare-and-set) wins it and
    `step(session, roster, turn)` queues its messages."""
    with sf() as session:
        team = session.get(SweepTurnRow, turn_id).team
    roster = rosters.get(team)  # before the write transaction
    with sf() as session, session.begin():
        if _filed_meanwhile(session, turn_id, now):
            return 0
        if not claim(session, turn_id, now):
            return 0
        return step(session, roster, session.get(SweepTurnRow, turn_id))


def _nudge(sf: SessionFactory, rosters: RosterCache, turn_id: int, now: datetime) -> int:
    def step(session, roster, turn) -> int:
        if turn.due_utc <= now:
            return 0  # the bot was down past the deadline: the report says it instead
        queue_direct(session, turn.user, _nudge_text(roster, turn, now), DIRECT_PRIORITY,
                     now, extra={"sweep": turn.id})
        return 1
    return _claimed_step(sf, rosters, turn_id, now, store.claim_nudge, step)


def _report(sf: SessionFactory, rosters: RosterCache, turn_id: int, now: datetime) -> int:
    def step(session, roster, turn) -> int:
        crises = covering(session, turn.team, turn.language)
        return _tell_missed(session, roster, turn, crises, _missed_text(turn), now)
    return _claimed_step(sf, rosters, turn_id, now, store.claim_report, step)
