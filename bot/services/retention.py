"""Retention: after a team's `retention` (default 30 days), a request's text, link,
field values and resolve note are purged from the database and from the Slack messages
the bot posted (edited in place to the redacted form). What stays, for reports: ids,
times, language, category, severity, outcome code, people, the audit trail's actions.

Only resolved requests are purged: a request still open keeps its text until it is
resolved (the person handling it needs it), and the dry run lists it as kept.
`oncall-bot purge [--dry-run]` runs it by hand; the worker runs it daily. Each request
is purged in its own transaction, so a purge that stops half-way leaves every request
either whole or purged, and the next run finishes the rest.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from bot.clock import Clock
from bot.core import parsers
from bot.core.messages import TIMELINE
from bot.core.model import DEFAULT_RETENTION
from bot.services.escalation import record, resolved_line
from bot.services.requests import SessionFactory, ticket
from bot.services.restate import posted_messages, restate_posted
from bot.services.schedules import RosterCache
from bot.store import paging as q
from bot.store import retention as store
from bot.store.paging_writes import RequestWrites

BATCH = 200  # requests looked at per team and run


@dataclass(frozen=True)
class Purged:
    """One request whose text was (or, in a dry run, would be) purged."""

    ticket: str
    team: str
    created: datetime
    removed: tuple[str, ...]  # "text", "link", "2 field values", "resolve note"
    edits: int  # Slack messages edited (queued) to the redacted form


@dataclass(frozen=True)
class Kept:
    """A request past retention whose text is kept, and why."""

    ticket: str
    team: str
    created: datetime
    why: str


@dataclass(frozen=True)
class TeamCutoff:
    team: str
    retention: str  # "30d"
    cutoff: datetime  # requests filed before this are past retention


@dataclass
class PurgeReport:
    dry_run: bool
    cutoffs: list[TeamCutoff] = field(default_factory=list)
    purged: list[Purged] = field(default_factory=list)
    kept: list[Kept] = field(default_factory=list)


class Retention:
    def __init__(self, session_factory: SessionFactory, rosters: RosterCache, clock: Clock):
        self._sf = session_factory
        self.rosters = rosters
        self.clock = clock

    def purge(self, dry_run: bool = False) -> PurgeReport:
        now = self.clock.now()
        report = PurgeReport(dry_run=dry_run)
        names = self.rosters.team_names()
        with self._sf() as session:
            gone = [t for t in store.request_teams(session) if t not in names]
        for name in names + gone:
            # A team deleted since keeps no settings: its requests go by the default.
            keep = self.rosters.get(name).team.retention if name in names else DEFAULT_RETENTION
            cutoff = now - keep
            report.cutoffs.append(TeamCutoff(name, parsers.format_period(keep), cutoff))
            self._purge_team(name, cutoff, now, dry_run, report)
        return report

    def _purge_team(self, team: str, cutoff: datetime, now: datetime, dry_run: bool,
                    report: PurgeReport) -> None:
        seen: set[int] = set()
        while True:
            with self._sf() as session, session.begin():
                rows = [r for r in store.due_for_purge(session, team, cutoff, BATCH,
                                                       lock=False) if r.id not in seen]
            if not rows:
                return
            for row in rows:
                seen.add(row.id)
                if row.status != "resolved":
                    report.kept.append(Kept(ticket(row), team, row.created_utc,
                                            "it is still open; its text goes once it is resolved"))
                    continue
                done = (self._describe(row) if dry_run
                        else self._purge_one(row.id, cutoff, now))
                if done is not None:
                    report.purged.append(done)

    def _describe(self, row) -> Purged:
        with self._sf() as session:
            edits = (bool(row.card_ts) + sum(1 for p in q.pages_of(session, row.id)
                                             if p.dm_ts)
                     + len(posted_messages(session, row.id)))
        return Purged(ticket(row), row.team, row.created_utc, _removed(row), edits)

    def _purge_one(self, request_id: int, cutoff: datetime, now: datetime) -> Purged | None:
        """Purge one request in one transaction (None: someone else did meanwhile)."""
        with self._sf() as session, session.begin():
            row = q.lock_request(session, request_id)
            if (row is None or row.purged_utc is not None or row.status != "resolved"
                    or row.created_utc >= cutoff):
                return None
            removed = _removed(row)
            row.text, row.link, row.fields, row.outcome = "", None, {}, None
            row.purged_utc = now
            _scrub_notes(session, row)
            w = RequestWrites(session, row, now)
            edits = restate_posted(w, q.pages_of(session, row.id))
            record(w, "bot", "purged",
                   "Text, link and field values removed after the team's retention "
                   "period; the record of what happened is kept", {})
            w.flush()
            return Purged(ticket(row), row.team, row.created_utc, removed, edits)


def _removed(row) -> tuple[str, ...]:
    out = []
    if row.text:
        out.append("text")
    if row.link:
        out.append("link")
    n = sum(1 for v in (row.fields or {}).values() if v)
    if n:
        out.append(f"{n} field value{'s' if n != 1 else ''}")
    if row.outcome:
        out.append("resolve note")
    return tuple(out)


def _scrub_notes(session, row) -> None:
    """The resolve note also lives in the audit trail and in the thread line the outbox
    posted: both keep the line without it."""
    for entry in q.audit_entries(session, row.id):
        detail = dict(entry.detail or {})
        if "outcome" in detail:
            detail.pop("outcome")
            detail["text"] = resolved_line(entry.actor, detail.get("resolution"), None)
            entry.detail = detail
    for out in store.outbox_rows_of(session, row.id):
        payload = dict(out.payload or {})
        if out.kind == TIMELINE and payload.get("action") == "resolved":
            payload["text"] = resolved_line(payload.get("actor", ""),
                                            row.resolution, None)
            out.payload = payload
