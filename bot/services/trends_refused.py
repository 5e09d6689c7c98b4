"""A trend digest Slack refused for good (PRODUCT.md "Trends"; docs/design.md "Trend
digests"): the managers are told once, by DM, what to do about it.

The outbox hands every settled batch to `settled` (the Runtime's settle hook). A DIRECT
row to a team's `trends_channel` that failed with `channel_not_found`, `not_in_channel`
or `is_archived`, and whose payload is a digest, makes one transaction that claims the
team's `notice_cursors` row of kind "trends_refused" (created once: a second refusal
finds it and says nothing) and queues the managers' DMs in the outbox. A later post
that reaches the channel removes that row, so the next refusal is told again. The DM
names the channel and the fix; it carries no request text. Between a refusal and this
transaction a crash loses the DM for that digest; the next digest's refusal tells it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bot.clock import Clock
from bot.core import refs
from bot.core.messages import DIRECT
from bot.services.outbox_items import Outcome
from bot.services.pauses import managers_of
from bot.services.schedules import RosterCache
from bot.store import notices
from bot.store.direct_messages import queue_direct
from bot.store.paging_tables import OutboxRow
from bot.store.shift_tables import NoticeCursorRow

__all__ = ["CAUSES", "TrendRefusals", "told_text"]

log = logging.getLogger(__name__)

KIND = "trends_refused"  # the notice cursor kind: present while the managers know
NEVER_AGAIN = timedelta(days=365 * 100)  # told once, until a post reaches the channel
DIRECT_PRIORITY = 4
# What Slack's answer means, for the refusals the managers can fix.
CAUSES = {
    "channel_not_found": "Slack cannot find that channel (deleted, or private without the "
                         "bot in it)",
    "not_in_channel": "the bot is not a member of that channel",
    "is_archived": "that channel is archived",
}


def told_text(team: str, channel: str, code: str, every: timedelta) -> str:
    hours = int(every.total_seconds() // 3600)
    return (f"The trend digest of team {team} could not be posted in {refs.channel(channel)}"
            f" (`trends_channel: {channel}` in the team's schedule file): {CAUSES[code]}. "
            "To fix it, either invite the bot to that channel "
            "(type /invite @On-call in it), or set `trends_channel` to a channel the bot "
            "is in and import the file again ("
            + refs.command("oncall trends") + " shows you the digest meanwhile). The bot "
            f"tries again every {hours} h; you are told once, not at every digest.")


def _code(outcome: Outcome) -> str:
    return (outcome.error or "").removeprefix("permanent: ").strip()


class TrendRefusals:
    def __init__(self, session_factory: Callable[[], Session], rosters: RosterCache,
                 clock: Clock):
        self._sf = session_factory
        self.rosters = rosters
        self.clock = clock

    def settled(self, outcomes: Iterable[Outcome]) -> int:
        """The outbox's settle hook: only DIRECT outcomes to a trends channel (as this
        process last loaded the teams: no read otherwise) do any work. The number of
        notices queued (for the caller to send)."""
        told = 0
        channels = {r.team.trends_channel: r for r in self.rosters.cached()
                    if r.team.trends_channel}
        for o in outcomes:
            roster = channels.get(getattr(o, "target", None))
            if o.kind != DIRECT or roster is None:
                continue
            try:
                if o.action == "failed" and _code(o) in CAUSES:
                    told += self._refused(roster, o)
                elif o.action == "sent":
                    self._reached(roster.team.name)
            except Exception:  # a notice must never undo a delivery
                log.exception("telling the managers of team %s about the trends channel",
                              roster.team.name)
        return told

    def _refused(self, roster, o: Outcome) -> int:
        team = roster.team
        now = self.clock.now()
        with self._sf() as session, session.begin():
            payloads = session.scalars(select(OutboxRow.payload)
                                       .where(OutboxRow.id.in_(o.ids))).all()
            if not any("trends" in (p or {}) for p in payloads):
                return 0  # another message to that channel: not a digest
            if not notices.claim_periodic(session, team.name, KIND, now, NEVER_AGAIN):
                return 0  # told already
            text = told_text(team.name, team.trends_channel, _code(o), team.trends_every)
            targets = managers_of(roster) or (
                (team.escalation_channel,) if team.escalation_channel else ())
            for target in targets:
                queue_direct(session, target, text, DIRECT_PRIORITY, now)
        return len(targets)

    def _reached(self, team: str) -> None:
        """A post reached the channel: a later refusal is news again."""
        with self._sf() as session, session.begin():
            session.execute(delete(NoticeCursorRow).where(NoticeCursorRow.team == team,
                                                          NoticeCursorRow.kind == KIND))
