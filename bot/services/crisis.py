"""Crisis mode (PRODUCT.md "Crisis mode"): start, status and end of a crisis.

A crisis is a row in `crises`, committed at once; requests filed while it is active
join it when they match (`crisis_link`, in the filing's transaction). `end` computes
the summary from the linked requests with the reports' numbers
(`bot.services.crisis_summary`), keeps it on the row and posts it to the crisis channel
(the intake channel when the crisis has none) through the outbox, in one transaction."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, update

from bot.clock import Clock
from bot.core import escalation_words, refs
from bot.core.crisis import slug
from bot.core.messages import DIRECT
from bot.core.model import SEVERITIES, Team
from bot.core.roster import Roster
from bot.services.crisis_card import card_text
from bot.services.crisis_summary import crisis_summary, summary_text
from bot.services.errors import ServiceError
from bot.store.crises import ACTIVE, ENDED, add_crisis
from bot.store.crisis_tables import CrisisRow
from bot.store.paging import insert_outbox_rows
from bot.store.paging_writes import outbox_values

__all__ = ["CrisisService", "Ended"]

EXAMPLE = "oncall crisis start beirut-port languages=ar,fr severity=sev1 match=port,blast"


@dataclass(frozen=True)
class Ended:
    """A crisis just ended: the reply (service text), its name, its channel (None when
    Slack never made one) and the summary kept on its row."""

    text: str
    name: str
    channel: str | None
    summary: dict


class CrisisService:
    def __init__(self, session_factory, clock: Clock, rosters=None):
        self._sf = session_factory
        self.clock = clock
        self.rosters = rosters  # RosterCache: the intake channel of a reminder's team

    def update(self, team: Team, user: str, text: str) -> str:
        """Post a status update in the crisis channel (once it has one) and the intake
        channel, and move the update reminder on. With several crises running, the
        text starts with the crisis's name."""
        text = text.strip()
        now = self.clock.now()
        with self._sf() as session, session.begin():
            first, _, rest = text.partition(" ")
            named = [r for r in self._active(session, team) if r.name.lower() == first.lower()]
            row = named[0] if named else self._one(session, team, None, "update <name>")
            said = rest.strip() if named else text
            if not said:
                raise ServiceError("say what changed, e.g. " + refs.command(
                    f"oncall crisis update {row.name} the port video is down on every site"))
            row.last_update_utc, row.remind_due_utc = now, now + team.crisis_update_every
            row.card_version += 1  # the status card says "last update ... ago"
            line = (f"Crisis *{row.name}* update from {refs.person(user)} at "
                    f"{refs.moment(now)}: {refs.typed(said)}")
            targets = [c for c in (row.channel, team.intake_channel) if c]
            insert_outbox_rows(session, [outbox_values(None, DIRECT, c, {"text": line}, now)
                                         for c in targets])
        return f"Update posted for crisis *{refs.typed(row.name)}*."

    def remind(self) -> int:
        """One pass: each active crisis whose update reminder is due gets it, once. A
        crisis is claimed by a compare-and-set on `remind_due_utc` in the transaction
        that writes the reminder's outbox row: of two workers one wins; a restart finds
        the deadline where it was. The number of reminders queued."""
        now = self.clock.now()
        with self._sf() as session:
            due = session.execute(select(CrisisRow.id, CrisisRow.team, CrisisRow.remind_due_utc)
                                  .where(CrisisRow.status == ACTIVE,
                                         CrisisRow.remind_due_utc <= now)).all()
        sent = 0
        for crisis_id, team_name, seen in due:
            team = self.rosters.get(team_name).team
            with self._sf() as session, session.begin():
                won = session.execute(
                    update(CrisisRow).where(CrisisRow.id == crisis_id,
                                            CrisisRow.remind_due_utc == seen)
                    .values(remind_due_utc=now + team.crisis_update_every)).rowcount
                if won != 1:
                    continue  # another worker sent it
                row = session.get(CrisisRow, crisis_id)
                line = (f"No update on crisis *{row.name}* since "
                        f"{refs.moment(row.last_update_utc)}. Post one: "
                        + refs.command(f"oncall crisis update {row.name} what changed"))
                target = row.channel or team.intake_channel
                insert_outbox_rows(session, [outbox_values(None, DIRECT, target,
                                                           {"text": line}, now)])
                sent += 1
        return sent

    def _active(self, session, team: Team) -> list[CrisisRow]:
        return list(session.scalars(select(CrisisRow).where(
            CrisisRow.team == team.name, CrisisRow.status == ACTIVE).order_by(CrisisRow.id)))

    def start(self, team: Team, user: str, name: str, languages: tuple[str, ...],
              severity: str | None, words: tuple[str, ...]) -> str:
        """Commit a new active crisis; nothing is written when anything is wrong."""
        severity = severity or "sev1"
        if severity not in SEVERITIES:
            raise ServiceError(f"'{refs.typed(severity)}' is not a severity; use sev1, sev2 "
                               f"or sev3, e.g. {refs.command(EXAMPLE)}")
        unserved = [code for code in languages if code not in team.languages]
        if unserved:
            raise ServiceError(f"team {team.name} does not serve {', '.join(unserved)}; it "
                               f"serves {', '.join(team.languages)}. Example: "
                               + refs.command(EXAMPLE))
        if not slug(name).removeprefix("crisis").strip("-"):
            raise ServiceError("a crisis name needs letters or digits, e.g. "
                               + refs.command(EXAMPLE))
        now = self.clock.now()
        with self._sf() as session, session.begin():
            taken = session.execute(select(CrisisRow.id).where(
                CrisisRow.team == team.name, CrisisRow.status == ACTIVE,
                CrisisRow.name == name)).first()
            if taken is not None:
                raise ServiceError(f"a crisis named {refs.typed(name)} is already running; "
                                   "end it first or pick another name")
            add_crisis(session, team=team.name, name=name, languages=list(languages),
                       severity=severity, match_words=list(words), by=user, now=now,
                       remind_due=now + team.crisis_update_every)
        scope = ", ".join(escalation_words.language(c) for c in languages) or "every language"
        match = (" containing " + ", ".join(refs.typed(w) for w in words)) if words else ""
        return (f"Crisis *{refs.typed(name)}* started by {refs.person(user)} at "
                f"{refs.moment(now)}: new requests in {scope}{match} join it and are raised "
                f"to {severity.upper()}.")

    def _one(self, session, team: Team, name: str | None, verb: str) -> CrisisRow:
        rows = self._active(session, team)
        if name is not None:
            rows = [r for r in rows if r.name.lower() == name.lower()]
            if not rows:
                raise ServiceError(f"no active crisis is named {refs.typed(name)}")
        if not rows:
            raise ServiceError("no crisis is running")
        if len(rows) > 1:
            names = ", ".join(refs.typed(r.name) for r in rows)
            raise ServiceError(f"{len(rows)} crises are running ({names}); say which, e.g. "
                               + refs.command(f"oncall crisis {verb.split()[0]} {rows[0].name}"
                                              + (" what changed" if " " in verb else "")))
        return rows[0]

    def status(self, team: Team, name: str | None) -> str:
        """The status card's text, answered privately."""
        with self._sf() as session:
            row = self._one(session, team, name, "status")
            return card_text(session, row, self.rosters.get(team.name), self.clock.now())

    def end(self, roster: Roster, user: str, name: str | None) -> Ended:
        team, now = roster.team, self.clock.now()
        with self._sf() as session, session.begin():
            row = self._one(session, team, name, "end")
            summary = crisis_summary(session, roster, row.id, row.started_utc, now)
            row.status, row.ended_by, row.ended_utc = ENDED, user, now
            row.remind_due_utc, row.summary = None, summary
            text = (f"Crisis *{refs.typed(row.name)}* ended by {refs.person(user)} at "
                    f"{refs.moment(now)}. Summary:\n" + summary_text(summary))
            target = row.channel or team.intake_channel
            if target:
                insert_outbox_rows(session, [outbox_values(None, DIRECT, target,
                                                           {"text": text}, now)])
            ended = Ended(text, row.name, row.channel, summary)
        return ended


