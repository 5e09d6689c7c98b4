"""The Slack work of a crisis, state-driven (docs/design.md "Crisis mode"): the row
says what is done (`channel` once the channel exists, `card_ts` once the status card
is posted); the Slack side does what is missing and records each step here, each in
its own commit, so a crash redoes only the step it interrupted."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, or_, select

from bot.core import refs
from bot.core.messages import DIRECT
from bot.store.crises import ACTIVE
from bot.store.crisis_tables import CrisisRow
from bot.store.paging import insert_outbox_rows
from bot.store.paging_writes import outbox_values

__all__ = ["Setup", "cards", "channel_in_use", "not_started", "pending", "set_card", "set_channel"]


@dataclass(frozen=True)
class Setup:
    id: int
    team: str
    name: str
    channel: str | None
    card_ts: str | None
    languages: tuple[str, ...]
    started_by: str


def pending(session_factory) -> list[Setup]:
    """Active crises whose channel or status card is missing."""
    with session_factory() as session:
        rows = session.scalars(select(CrisisRow).where(
            CrisisRow.status == ACTIVE,
            or_(CrisisRow.channel.is_(None), CrisisRow.card_ts.is_(None))))
        return [Setup(r.id, r.team, r.name, r.channel, r.card_ts, tuple(r.languages or ()),
                      r.started_by) for r in rows]


def cards(session_factory, ids: tuple[int, ...] | None = None) -> list[Setup]:
    """Crises with a posted status card (to refresh): the active ones, or those of
    `ids` whatever their status (an ended crisis's card gets its last edit)."""
    with session_factory() as session:
        which = CrisisRow.status == ACTIVE if ids is None else CrisisRow.id.in_(ids)
        rows = session.scalars(select(CrisisRow).where(which, CrisisRow.card_ts.is_not(None)))
        return [Setup(r.id, r.team, r.name, r.channel, r.card_ts, tuple(r.languages or ()),
                      r.started_by) for r in rows]


def channel_in_use(session_factory, channel: str) -> bool:
    """Whether a crisis (active or ended) has this channel already."""
    with session_factory() as session:
        return session.execute(select(CrisisRow.id).where(CrisisRow.channel == channel)
                               .limit(1)).first() is not None


def set_channel(session_factory, crisis_id: int, channel: str) -> None:
    with session_factory() as session, session.begin():
        row = session.get(CrisisRow, crisis_id)
        if row is not None:
            row.channel = channel


def set_card(session_factory, crisis_id: int, ts: str) -> None:
    with session_factory() as session, session.begin():
        row = session.get(CrisisRow, crisis_id)
        if row is not None:
            row.card_ts = ts


def not_started(session_factory, setup: Setup, channel_name: str, now: datetime) -> None:
    """The channel name is taken: no crisis (the row and its links go), and the manager
    who started it is told, durably (an outbox DM in the same transaction)."""
    with session_factory() as session, session.begin():
        session.execute(delete(CrisisRow).where(CrisisRow.id == setup.id))
        text = (f"The crisis *{refs.typed(setup.name)}* was not started: a channel named "
                f"#{channel_name} already exists in Slack. Start it again with another "
                "name, e.g. " + refs.command(f"oncall crisis start {setup.name}-2"))
        insert_outbox_rows(session, [outbox_values(None, DIRECT, setup.started_by,
                                                   {"text": text}, now)])
