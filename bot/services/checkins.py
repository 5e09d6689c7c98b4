"""End-of-shift check-ins (`wellbeing.checkin: true`; PRODUCT.md, "Graphic content and
the people who read it"), durable like the handoff notices.

`CheckinService.run()` is one pass of the background job. For each team that asks for
check-ins, in ONE transaction (the team's `notice_cursors` row of kind "checkin" locked
FOR UPDATE on PostgreSQL; BEGIN IMMEDIATE on SQLite), it:

1. takes the on-call stretches that END in (cursor, now] (`core.breaks.shift_ends`: a
   person's back-to-back pieces joined, so a shift extended by an override ends once);
2. counts, for each, the sensitive requests the person acknowledged or opened during
   it (`exposure` rows from the stretch's start to its end); none: no check-in;
3. inserts the `checkins` row (UNIQUE per team, person and shift end: the once-only
   guard, even with two workers or a crash and restart, since the row, the DM and the
   cursor commit together) and the private DM (outbox) with the three answers;
4. moves the cursor to `now`.

A team's first pass only sets the cursor; a shift that ended more than `STALE` ago (the
bot was down) gets no check-in: asked hours later, the question helps nobody.

`answer()` records the answer of the buttons and tells ONLY the team's managers, by
DM; the person gets a kind acknowledgement. "I need a break" asks for a one-hour break
under the same coverage rule as `/oncall pause` (bot.services.pauses.decide_break).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from bot.clock import Clock
from bot.core import refs
from bot.core.breaks import CHECKIN_BREAK, shift_ends
from bot.core.roster import Roster
from bot.services.errors import NotFound, ServiceError
from bot.services.pauses import CHECKIN, DIRECT_PRIORITY, decide_break, managers_of
from bot.services.schedules import RosterCache
from bot.store import breaks as store
from bot.store import team_audit
from bot.store.db import SQLITE_BEGIN
from bot.store.direct_messages import queue_direct

log = logging.getLogger(__name__)

SessionFactory = Callable[[], Session]
STALE = timedelta(hours=2)  # a shift that ended longer ago gets no check-in
IDLE_RECHECK = timedelta(minutes=10)
OK, BREAK, TALK = "ok", "break", "talk"
ANSWERS = {OK: "I'm OK", BREAK: "I need a break", TALK: "I'd like to talk to someone"}
SENT, ANSWERED = "sent", "answered"


def _requests(n: int) -> str:
    return f"{n} sensitive request{'s' if n != 1 else ''}"


def checkin_text(count: int) -> str:
    return (f"You handled {_requests(count)} this shift. How are you? Only your managers "
            "see your answer.")


class CheckinService:
    def __init__(self, session_factory: SessionFactory, rosters: RosterCache, clock: Clock):
        self._sf = session_factory
        self.rosters = rosters
        self.clock = clock
        # team -> (roster it was computed from, first instant a shift can end)
        self._idle: dict[str, tuple[Roster, datetime]] = {}

    # -- the pass ------------------------------------------------------------------------


    def next_pass(self) -> datetime | None:
        """When a pass next has something to do for the teams as last loaded (None:
        nothing known; an edit of a team is found by its revision)."""
        return min((until for _, until in self._idle.values()), default=None)

    def run(self) -> int:
        """One pass over every team; the number of check-in DMs queued. One team's
        failure is logged and retried next pass (its cursor did not move)."""
        sent = 0
        try:
            rosters = self.rosters.all()  # one query when no team changed
        except Exception:  # noqa: BLE001 - the database away: the next pass tries again
            log.exception("check-in pass could not read the teams")
            return 0
        for roster in rosters:
            team = roster.team.name
            try:
                sent += self._run_team(roster)
            except NotFound:
                self._idle.pop(team, None)
            except Exception:  # noqa: BLE001 - one team must not stop the others
                log.exception("check-in pass for team %s failed", team)
        return sent

    def _run_team(self, roster: Roster) -> int:
        team = roster.team.name
        if not roster.team.wellbeing.checkin:
            return 0
        idle = self._idle.get(team)
        if idle is not None and idle[0] is roster and self.clock.now() < idle[1]:
            return 0
        with self._sf() as session, session.begin():
            session.connection(execution_options={SQLITE_BEGIN: "IMMEDIATE"})
            now = self.clock.now()
            cursor = store.lock_team(session, team, store.CHECKIN_CURSOR, now)
            lo = max(cursor.through_utc, now - STALE)
            sent = 0
            for user, start, end in shift_ends(roster, lo, now):
                count = store.sensitive_between(session, team, user, start, end)
                if count == 0:
                    continue
                row = store.claim_checkin(session, team=team, user=user, shift_end=end,
                                          count=count, state=SENT, now=now)
                if row is None:
                    continue  # sent already (an earlier pass, another worker)
                store.queue_checkin_dm(session, user, checkin_text(count), row.id,
                                       DIRECT_PRIORITY, now)
                team_audit.add_entry(session, team, "bot", "checkin_sent", {
                    "text": f"end-of-shift check-in sent to {refs.person(user)}",
                    "user": user, "shift_end": end.isoformat(), "checkin": row.id}, now)
                sent += 1
            cursor.through_utc = max(cursor.through_utc, now)
        horizon = now + IDLE_RECHECK
        nxt = [e for _, _, e in shift_ends(roster, now, horizon)]
        self._idle[team] = (roster, min([horizon, *nxt]))
        return sent

    # -- the answer ----------------------------------------------------------------------

    def answer(self, checkin_id: int, user: str, answer: str) -> str:
        """Record `user`'s answer to their check-in and tell the managers (DMs only);
        the text for the person. Raises ServiceError for an unknown answer, a check-in
        that is not theirs, or one that does not exist."""
        if answer not in ANSWERS:
            raise ServiceError("that answer is not one of the check-in's buttons")
        with self._sf() as session, session.begin():
            session.connection(execution_options={SQLITE_BEGIN: "IMMEDIATE"})
            now = self.clock.now()
            row = store.lock_checkin(session, checkin_id)
            if row is None or row.user != user:
                raise ServiceError("this check-in is not yours, or no longer exists")
            roster = self.rosters.get(row.team)
            if row.state == ANSWERED:
                return (f"You already answered this check-in ({ANSWERS.get(row.answer or '', '')}"
                        "). Thank you; your managers have it.")
            # The breaks lock before anything else this team's breaks write.
            store.lock_team(session, row.team, store.BREAKS_LOCK, now)
            row.state, row.answer, row.answered_utc = ANSWERED, answer, now
            shift = _requests(row.sensitive_count)
            managers = managers_of(roster)
            heard = {
                OK: f"{refs.person(user)} answered the end-of-shift check-in ({shift} this "
                    "shift): I'm OK.",
                TALK: f"{refs.person(user)} would like to talk to someone after their shift "
                      f"({shift}). Please reach out to them today.",
                BREAK: f"{refs.person(user)} answered the end-of-shift check-in ({shift} "
                       "this shift): I need a break.",
            }[answer]
            for target in managers:
                queue_direct(session, target, heard, DIRECT_PRIORITY, now)
            team_audit.add_entry(session, row.team, user, "checkin_answered", {
                "text": f"{refs.person(user)} answered the end-of-shift check-in",
                "user": user, "checkin": row.id, "to": list(managers)}, now)
            if not managers:
                log.warning("team %s has no managers listed: check-in %s was answered and "
                            "nobody was told", row.team, row.id)
            told = ("Your managers have been told" if managers
                    else "Your team lists no managers to tell; please reach out to your lead")
            if answer == OK:
                return "Thank you for letting us know. Take care of yourself."
            if answer == TALK:
                return (f"Thank you for saying so. {told}, and someone will reach out to "
                        "you. You don't have to wait: you can message them directly too.")
            result = decide_break(session, roster, subject=user, actor=user,
                                  length=CHECKIN_BREAK, reason=CHECKIN, now=now)
            if result.accepted:
                return (f"Thank you for saying so. {result.text} Take the time you need.")
            return (f"Thank you for saying so. I could not pause your paging: "
                    f"{_after_colon(result.text)}")


def _after_colon(text: str) -> str:
    """decide_break's refusal without its first words ('The break was not started: ')."""
    head, _, rest = text.partition(": ")
    return rest or head
