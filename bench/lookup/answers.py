"""The engine's answer to "who reads <lang> on call at T", the brute-force model's
as a third opinion, and the engine checked against the iCalendar baseline."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import icalendar
import recurring_ical_events

from bench.lookup.ical import Answer, ical_answer
from bot.core.model import Team
from bot.core.roster import Roster


def engine_answer(roster: Roster, lang: str | None, instant: datetime) -> Answer:
    found = roster.on_call(instant) if lang is None else roster.on_call_for(lang, instant)
    return [(a.user or "", a.rotation) for a in found]


def brute_answer(team: Team, lang: str | None, instant: datetime) -> list[str]:
    """A third opinion (tests/brute_force.py): the sorted users on call who read `lang`
    (everyone on call when `lang` is None)."""
    try:
        from tests.brute_force import Brute
    except ImportError:  # pragma: no cover - only when run outside the repository
        return ["(tests.brute_force not importable)"]
    specs = {s.id: s for s in team.specialists}
    return sorted({u for _, u in Brute(team).on_call(instant)
                   if lang is None or (u in specs and specs[u].reads(lang))})


@dataclass
class Mismatch:
    instant: datetime
    engine: Answer
    ical: Answer
    brute: list[str]

    def __str__(self) -> str:
        same_set = {u for u, _ in self.engine} == {u for u, _ in self.ical}
        what = "order only" if same_set else "different people"
        return (f"  {self.instant.isoformat()} ({what})\n"
                f"    engine: {self.engine}\n    iCal:   {self.ical}\n"
                f"    brute force (tests/brute_force.py): {self.brute}")


def compare(team: Team, roster: Roster, cal: icalendar.Calendar, lang: str | None,
            instants: Sequence[datetime]) -> list[Mismatch]:
    """Engine vs iCal on every instant (untimed, one query object reused); brute force
    only where they differ."""
    query = recurring_ical_events.of(cal)
    out = []
    for t in instants:
        mine, theirs = engine_answer(roster, lang, t), ical_answer(cal, team, lang, t, query)
        if mine != theirs:
            out.append(Mismatch(t, mine, theirs, brute_answer(team, lang, t)))
    return out
