"""The categories phase: the bench team gains categories, skills and a capacity in the
running bot's database (what a schedule file's `categories`, `skills` and `routing`
keys say), and the requests carry categories, all in one language: the one with the
most readers on call when the bench starts.

Also the routing decision itself, in this process: CPU per request of the first
escalation step (`core.escalation.decide`, which runs `core.routing`) on the bench team,
with a skilled category and without one, the same load for both."""

from __future__ import annotations

import dataclasses
import random
import time
from collections import Counter
from datetime import datetime, timedelta

from bench.paging.load import Shot
from bot.core import escalation, routing
from bot.core.model import Category, Team
from bot.core.roster import Roster

CAPACITY = 3
CHILD_SAFETY = Category("child-safety", "Child safety", severity="sev2",
                        skills=("child_safety",), sensitive=True)
LE_EMERGENCY = Category("le-emergency", "Law-enforcement emergency request",
                        severity="sev2", skills=("le_requests",))
# Of every 6 requests: 2 child safety, 1 law enforcement, 3 without a category.
MIX = (CHILD_SAFETY.name, None, LE_EMERGENCY.name, None, CHILD_SAFETY.name, None)


def with_categories(team: Team) -> Team:
    """Every second specialist trained for child safety, every third for law-enforcement
    requests (so both categories have people in most languages and shifts)."""
    people = tuple(dataclasses.replace(
        s, skills=tuple(k for k, every in (("child_safety", 2), ("le_requests", 3))
                        if i % every == 0))
        for i, s in enumerate(team.specialists))
    return dataclasses.replace(team, specialists=people,
                               categories=(CHILD_SAFETY, LE_EMERGENCY),
                               default_category="other", max_open_per_person=CAPACITY)


def store_categories(db_url: str, team_name: str) -> None:
    """Give the stored team its categories (the running bot sees the new revision)."""
    from sqlalchemy import create_engine
    from sqlalchemy.orm import Session

    from bot.store import teams as team_store

    engine = create_engine(db_url)
    try:
        with Session(engine) as session, session.begin():
            team = team_store.load_team(session, team_name)
            team_store.save_team(session, with_categories(team))
    finally:
        engine.dispose()


def category_shots(shots: list[Shot], lang: str) -> list[Shot]:
    """The same requests, all `lang:<lang>`, carrying categories in the MIX."""
    out = []
    for i, s in enumerate(shots):
        cat = MIX[i % len(MIX)]
        text = s.text.replace("sev2 ", "", 1).replace("lang:ar ", "", 1)
        out.append(dataclasses.replace(
            s, detect=False, text=f"sev2 lang:{lang} {f'cat:{cat} ' if cat else ''}{text}"))
    return out


def busiest_language(team: Team, at: datetime) -> tuple[str, int]:
    """The language with the most readers on call at `at`, and how many: the burst is
    in it, so capacity has several readers to spread over (the bench team may have a
    single Arabic reader on call at a given hour)."""
    roster = Roster(team)
    counts = {lang: len(roster.on_call_for(lang, at)) for lang in team.languages}
    lang = max(counts, key=lambda k: (counts[k], k == "ar"))
    return lang, counts[lang]


def spread(users: list[str]) -> tuple[int, int, int]:
    """(people paged, most first pages to one person, fewest)."""
    counts = Counter(users)
    return len(counts), max(counts.values(), default=0), min(counts.values(), default=0)


def routing_cpu(team: Team, at: datetime, lang: str, rounds: int = 2000, seed: int = 1
                ) -> tuple[float, float, int]:
    """CPU seconds per first-step decision for a request in `lang`, without a category
    and with the child-safety skill; and the readers of `lang` on call at `at`. The
    load: open counts 0-4 and recent pages for everyone, capacity 3."""
    team = with_categories(team)
    roster = Roster(team)
    rng = random.Random(seed)
    ids = [s.id for s in team.specialists]
    load = routing.Load({u: rng.randint(0, 5) for u in ids},
                        {u: rng.randint(0, 4) for u in ids},
                        {u: at - timedelta(minutes=rng.randint(1, 900)) for u in ids},
                        CAPACITY)
    policy = dict(team.policies)["sev2"]

    def per_request(skills: tuple[str, ...]) -> float:
        ctx = escalation.Context(roster, lang, team.managers, team.escalation_channel,
                                 load=load, skills=skills, category_label="Child safety")
        escalation.decide(policy, None, escalation.START, ctx, at)  # the day index
        t0 = time.process_time()
        for _ in range(rounds):
            escalation.decide(policy, None, escalation.START, ctx, at)
        return (time.process_time() - t0) / rounds

    readers = len(roster.on_call_for(lang, at))
    return per_request(()), per_request(("child_safety",)), readers
