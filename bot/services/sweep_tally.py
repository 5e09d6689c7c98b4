"""The sweeps lines of a crisis's status card (docs/design.md "Sweeps"): per language of
the crisis, the sweeps done and missed since it started. One small query."""

from __future__ import annotations

from sqlalchemy.orm import Session

from bot.core import escalation_words
from bot.store import sweeps as store
from bot.store.crisis_tables import CrisisRow

__all__ = ["card_lines"]


def card_lines(session: Session, crisis: CrisisRow) -> str:
    """'\\n• Sweeps in Arabic: 4 done, 1 missed' per language swept since the crisis
    started ('' when none was)."""
    counts = store.tally(session, crisis.team, crisis.languages or (), crisis.started_utc)
    return "".join(f"\n• Sweeps in {escalation_words.language(code)}: {done} done, "
                   f"{missed} missed" for code, (done, missed) in counts.items())
