"""A crisis's pinned status card (PRODUCT.md "Crisis mode"), as neutral text, and the
bookkeeping that keeps it current (docs/design.md "Crisis mode").

The card says: the requests linked to the crisis by language (open, acknowledged,
resolved), who is on call now for each of its languages (with their local time, so
the channel sees who is up at 3 a.m.), the coverage gaps of the next 12 hours per
language (Slack date tokens: each reader sees their own zone), and how long since the
last update. `/oncall crisis status` answers with the same text.

Kept current on change: every change the card shows bumps `crises.card_version` in
its own transaction (a request linked: `store.crises.link_requests`; a linked
request's card changed: `RequestWrites.flush`; an update: `CrisisService.update`).
The reconciler lists the crises whose card is behind (`due`, one small query a pass)
and a sending thread re-renders them; `shown` records the version and the text's
digest, so an unchanged text is never sent to Slack again. The time-based parts (who
is on call, the gaps, "42 min ago") are refreshed every few minutes by the same path.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from bot.clock import Clock
from bot.core import escalation_words, refs, timezones
from bot.core.roster import Roster
from bot.services import sweep_tally
from bot.store.crises import ACTIVE
from bot.store.crisis_tables import CARD_FINAL, CrisisRequestRow, CrisisRow
from bot.store.paging_tables import RequestRow

__all__ = ["Card", "CrisisCards", "Due", "card_text"]

HORIZON = timedelta(hours=12)  # coverage gaps shown this far ahead
EDIT_GAP = timedelta(seconds=5)  # one card is edited at most this often on change
READERS_SHOWN = 4  # on-call readers named per language; "and 2 more" after
FINAL = CARD_FINAL  # `card_shown` of an ended crisis whose card says it ended


@dataclass(frozen=True)
class Card:
    crisis_id: int
    version: int  # the `card_version` this text shows
    text: str  # neutral (bot.core.refs)
    digest: str
    changed: bool  # differs from the text the card showed last


@dataclass(frozen=True)
class Due:
    setup: bool  # a crisis still needs its channel or its card (crisis_setup.pending)
    stale: tuple[int, ...]  # crises whose card is behind, and may be edited now


def _ago(seconds: float) -> str:
    minutes = int(seconds // 60)
    if minutes < 1:
        return "less than a minute"
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"


def _counts(session: Session, crisis_id: int) -> dict[str, Counter]:
    """Linked requests by language and status, counted in the database."""
    rows = session.execute(
        select(RequestRow.language, RequestRow.status, func.count())
        .join(CrisisRequestRow, CrisisRequestRow.request_id == RequestRow.id)
        .where(CrisisRequestRow.crisis_id == crisis_id)
        .group_by(RequestRow.language, RequestRow.status)).all()
    out: dict[str, Counter] = {}
    for lang, status, n in rows:
        out.setdefault(lang, Counter())[status] += n
    return out


def _on_call_line(roster: Roster, lang: str, now: datetime) -> str:
    found = roster.on_call_for(lang, now)
    name = escalation_words.language(lang)
    if not found:
        return f"• {name}: nobody on call reads it right now"
    who = []
    for a in found[:READERS_SHOWN]:
        spec = roster.team.specialist(a.user or "")
        local = (f" ({timezones.to_local(now, spec.timezone):%H:%M} their time)"
                 if spec is not None else "")
        who.append(refs.person(a.user or "") + local)
    more = f" and {len(found) - READERS_SHOWN} more" if len(found) > READERS_SHOWN else ""
    return f"• {name}: {', '.join(who)}{more}"


def _gap_words(start: datetime, end: datetime, now: datetime, until: datetime) -> str:
    """A gap in the window [now, until), with its open ends said in words, so the text
    stays the same from one refresh to the next while the gap does."""
    if start <= now and end >= until:
        return "no reader for the next 12 hours"
    if start <= now:
        return f"no reader now, until {refs.moment(end)}"
    if end >= until:
        return f"no reader from {refs.moment(start)} on"
    return f"no reader from {refs.moment(start)} to {refs.moment(end)}"


def _gap_lines(roster: Roster, languages: tuple[str, ...], now: datetime) -> list[str]:
    until = now + HORIZON
    gaps = roster.coverage_gaps(now, until, languages)
    lines = []
    for lang in languages:
        spans = [_gap_words(s, e, now, until) for s, e in gaps.get(lang, ())]
        if spans:
            lines.append(f"• {escalation_words.language(lang)}: {'; '.join(spans)}")
    return lines


def card_text(session: Session, row: CrisisRow, roster: Roster, now: datetime) -> str:
    """The status card of crisis `row` at `now` (neutral text)."""
    languages = tuple(row.languages or ()) or tuple(roster.team.languages)
    counts = _counts(session, row.id)
    ended = row.status != ACTIVE and row.ended_utc is not None
    title = (f"ended at {refs.moment(row.ended_utc)} by {refs.person(row.ended_by or '')}"
             if ended else f"running since {refs.moment(row.started_utc)}")
    lines = [f"Crisis *{refs.typed(row.name)}*, {row.severity.upper()}, {title}.", "",
             "*Requests*"]
    shown = [*languages, *sorted(k for k in counts if k not in languages)]
    if not counts:
        lines.append("No request has joined it yet.")
    else:
        for code in shown:
            c = counts.get(code, Counter())
            lines.append(f"• {escalation_words.language(code)}: {c['open']} open, "
                         f"{c['acknowledged']} acknowledged, {c['resolved']} resolved")
    if ended:  # what follows is about running it
        return "\n".join([*lines, "", "This crisis has ended: new requests no longer join it."])
    lines += ["", "*On call now*", *(_on_call_line(roster, lang, now) for lang in languages)]
    gaps = _gap_lines(roster, languages, now)
    lines += ["", "*Coverage gaps, next 12 hours*",
              *(gaps or ["None: every language has a reader on call."])]
    sweeps = sweep_tally.card_lines(session, row)  # done and missed per language
    if sweeps:
        lines += ["", "*Sweeps*", *sweeps.strip("\n").split("\n")]
    since = _ago((now - row.last_update_utc).total_seconds())
    if row.last_update_utc <= row.started_utc:
        update = f"No update posted yet (started {since} ago)."
    else:
        update = f"Last update {since} ago, at {refs.moment(row.last_update_utc)}."
    lines += ["", update + " Post one: "
              + refs.command(f"oncall crisis update {row.name} what changed")]
    return "\n".join(lines)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


class CrisisCards:
    """The status cards' reads and bookkeeping for the Slack side (which edits them)."""

    def __init__(self, session_factory: Callable[[], Session], clock: Clock, rosters):
        self._sf = session_factory
        self.clock = clock
        self.rosters = rosters

    def due(self) -> Due:
        """One small read a reconciler pass: whether a crisis needs its channel or
        card set up, and which cards are behind their changes (and were not edited in
        the last EDIT_GAP: a burst of requests costs one edit every few seconds)."""
        now = self.clock.now()
        with self._sf() as session:
            rows = session.execute(select(
                CrisisRow.id, CrisisRow.status, CrisisRow.channel, CrisisRow.card_ts,
                CrisisRow.card_version, CrisisRow.card_shown, CrisisRow.card_edited_utc)
                .where(or_(CrisisRow.status == ACTIVE, and_(  # ended, card not final yet
                    CrisisRow.card_ts.is_not(None), CrisisRow.card_shown != FINAL)))).all()
        active = [r for r in rows if r.status == ACTIVE]
        setup = any(r.channel is None or r.card_ts is None for r in active)
        stale = tuple(r.id for r in rows if r.card_ts is not None and (
            r.status != ACTIVE or (r.card_version > r.card_shown and (
                r.card_edited_utc is None or r.card_edited_utc <= now - EDIT_GAP))))
        return Due(setup, stale)

    def render(self, crisis_id: int) -> Card | None:
        """The card as it reads now (None: the crisis is gone). An ended crisis's card
        says so, with its last counts, and is edited once more."""
        now = self.clock.now()
        with self._sf() as session:
            row = session.get(CrisisRow, crisis_id)
            if row is None:
                return None
            text = card_text(session, row, self.rosters.get(row.team), now)
            digest = _digest(text)
            return Card(row.id, row.card_version, text, digest, digest != row.card_hash)

    def shown(self, card: Card) -> None:
        """The card now shows `card` (edited, posted, or already the same text)."""
        with self._sf() as session, session.begin():
            row = session.get(CrisisRow, card.crisis_id, with_for_update=True)
            if row is None:
                return
            # An ended crisis's card was edited a last time: FINAL, never again.
            row.card_shown = FINAL if row.status != ACTIVE else max(row.card_shown,
                                                                    card.version)
            if card.changed or row.card_edited_utc is None:
                row.card_hash, row.card_edited_utc = card.digest, self.clock.now()
