"""A deterministic, realistic synthetic team for the benchmarks.

`generate_team()` builds the team that PRODUCT.md's "What must hold" talks about:
300 specialists in real time zones, each reading 1-3 of 12 languages (strongest
first), 20 follow-the-sun rotations of about 15 members each (daily, weekly and
every-3-days handoffs; some windows crossing midnight, some weekday-only; primary
and secondary tiers; first shifts in 2026), and 1,000 overrides and time-off entries
spread over 2026-2027. Everything comes from one `random.Random(seed)`, so a seed
always gives the same (equal) `Team`.

Shift boundaries are whole or half hours that are never strictly inside a
spring-forward gap of the rotation's zone, so the wall-clock-to-UTC policy of the
engine (PRODUCT.md, time semantics) and that of an RFC 5545 consumer agree on every
shift; the iCalendar comparison in `bench.schedule_lookup` depends on it.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

from bot.core import timezones
from bot.core.model import Override, Rotation, Specialist, Team, TimeOff

LANGUAGES = ("en", "es", "ar", "pt", "fr", "de", "it", "ru", "tr", "hi", "id", "ja")
# Relative frequency of each language in the team: the escalation team's core
# languages (PRODUCT.md) are much more common than the rest.
LANGUAGE_WEIGHTS = {
    "en": 10, "ar": 9, "es": 9, "pt": 7, "fr": 7,
    "de": 2, "it": 2, "ru": 2, "tr": 2, "hi": 2, "id": 2, "ja": 2,
}

# (zone, region, weight, languages people there tend to read first)
SPECIALIST_ZONES = (
    ("Asia/Singapore", "apac", 8, ("en", "id", "hi")),
    ("Australia/Sydney", "apac", 4, ("en",)),
    ("Asia/Tokyo", "apac", 2, ("ja", "en")),
    ("Asia/Jakarta", "apac", 3, ("id", "en")),
    ("Asia/Kolkata", "apac", 4, ("hi", "en")),
    ("Asia/Dubai", "emea", 7, ("ar", "en", "hi")),
    ("Asia/Riyadh", "emea", 3, ("ar",)),
    ("Africa/Cairo", "emea", 4, ("ar", "fr")),
    ("Africa/Casablanca", "emea", 2, ("ar", "fr")),
    ("Europe/Dublin", "emea", 8, ("en", "fr", "es", "pt")),
    ("Europe/London", "emea", 3, ("en",)),
    ("Europe/Paris", "emea", 3, ("fr",)),
    ("Europe/Madrid", "emea", 3, ("es",)),
    ("Europe/Berlin", "emea", 2, ("de",)),
    ("Europe/Istanbul", "emea", 2, ("tr", "ar")),
    ("Europe/Rome", "emea", 1, ("it",)),
    ("America/Chicago", "amer", 7, ("en", "es")),
    ("America/New_York", "amer", 3, ("en", "es")),
    ("America/Sao_Paulo", "amer", 6, ("pt", "es")),
    ("America/Mexico_City", "amer", 3, ("es",)),
    ("America/Bogota", "amer", 2, ("es",)),
)

ROTATION_ZONES = (
    ("Asia/Singapore", "apac"), ("Europe/Dublin", "emea"), ("America/Chicago", "amer"),
    ("Asia/Dubai", "emea"), ("America/Sao_Paulo", "amer"), ("Australia/Sydney", "apac"),
)

# Local shift windows (start, end); end <= start crosses midnight ("09:00-09:00" is 24 h).
# None has a boundary strictly inside a spring-forward gap of a ROTATION_ZONES zone.
SHIFT_WINDOWS = (
    ("08:00", "16:00"), ("16:00", "00:00"), ("00:00", "08:00"),
    ("07:00", "15:00"), ("15:00", "23:00"), ("23:00", "07:00"),
    ("09:00", "17:00"), ("22:00", "06:00"), ("20:00", "08:00"),
    ("08:00", "20:00"), ("09:00", "09:00"), ("06:30", "14:30"),
)
DAY_SETS = (
    (frozenset(range(7)), 6),        # every day
    (frozenset(range(5)), 3),        # weekdays
    (frozenset({5, 6}), 1),          # weekends
    (frozenset({0, 2, 4}), 1),       # mon, wed, fri
)
HANDOFFS = ((7, 5), (1, 3), (3, 2))  # (days, weight): weekly, daily, every 3 days

FIRST = ("Layla", "Omar", "Sofia", "Mateo", "Ana", "Joao", "Chloe", "Lucas", "Aisha",
         "Yusuf", "Priya", "Arjun", "Mei", "Wei", "Hana", "Kenji", "Emma", "Liam", "Nour",
         "Karim", "Lucia", "Diego", "Ines", "Rafael", "Fatima", "Ali", "Elif", "Can",
         "Giulia", "Marco", "Olga", "Ivan", "Siti", "Budi", "Camille", "Hugo", "Zainab",
         "Tariq", "Beatriz", "Pedro")
LAST = ("Haddad", "Khalil", "Garcia", "Lopez", "Silva", "Santos", "Martin", "Bernard",
        "Rahman", "Hassan", "Sharma", "Patel", "Tan", "Lim", "Sato", "Suzuki", "Murphy",
        "Kelly", "Mansour", "Nasser", "Fernandez", "Ramos", "Costa", "Oliveira", "Aziz",
        "Yilmaz", "Demir", "Rossi", "Bianchi", "Petrov", "Ivanova", "Wijaya", "Dubois",
        "Moreau", "Okafor", "Mendes")

YEAR_START = date(2026, 1, 1)
YEAR_DAYS = 730  # overrides and time off fall in 2026-2027


def _weighted(rng: random.Random, items, weights):
    return rng.choices(items, weights=weights, k=1)[0]


def _languages(rng: random.Random, native: tuple[str, ...], pool: tuple[str, ...]
               ) -> tuple[str, ...]:
    count = rng.choices((1, 2, 3), weights=(2, 5, 3), k=1)[0]
    weights = [LANGUAGE_WEIGHTS[x] for x in pool]
    first = rng.choice(native) if rng.random() < 0.75 else _weighted(rng, pool, weights)
    langs = [first]
    while len(langs) < count:
        # English is the common second language of the team (PRODUCT.md).
        nxt = "en" if "en" not in langs and rng.random() < 0.4 else _weighted(rng, pool, weights)
        if nxt not in langs:
            langs.append(nxt)
    return tuple(langs)


def _hhmm(text: str) -> time:
    h, m = text.split(":")
    return time(int(h), int(m))


def generate_team(seed: int = 1, specialists: int = 300, rotations: int = 20,
                  overrides_and_time_off: int = 1000, languages: int = 12) -> Team:
    rng = random.Random(seed)
    pool = LANGUAGES[:languages]

    # -- specialists ------------------------------------------------------------
    people: list[Specialist] = []
    region_of: dict[str, str] = {}
    zone_weights = [z[2] for z in SPECIALIST_ZONES]
    for i in range(specialists):
        zone, region, _, native = _weighted(rng, SPECIALIST_ZONES, zone_weights)
        native = tuple(x for x in native if x in pool) or pool[:1]
        langs = _languages(rng, native, pool)
        backup = (langs[0],) if rng.random() < 0.15 else ()
        uid = f"U0SP{i:05d}"
        name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
        people.append(Specialist(uid, name, zone, langs, backup))
        region_of[uid] = region

    # -- rotations ----------------------------------------------------------------
    rots: list[Rotation] = []
    for r in range(rotations):
        zone, region = ROTATION_ZONES[r % len(ROTATION_ZONES)]
        start_s, end_s = rng.choice(SHIFT_WINDOWS)
        days = _weighted(rng, [d for d, _ in DAY_SETS], [w for _, w in DAY_SETS])
        handoff = _weighted(rng, [h for h, _ in HANDOFFS], [w for _, w in HANDOFFS])
        start = YEAR_START + timedelta(days=rng.randrange(0, 160))
        if handoff == 7:  # weekly rotations hand over on Mondays
            start -= timedelta(days=start.weekday())
            start = max(start, YEAR_START + timedelta(days=(7 - YEAR_START.weekday()) % 7))
        size = rng.randint(12, 18)
        local = [p.id for p in people if region_of[p.id] == region]
        other = [p.id for p in people if region_of[p.id] != region]
        n_local = min(len(local), round(size * 0.8))
        members = rng.sample(local, n_local) + rng.sample(other, min(len(other),
                                                                     size - n_local))
        rng.shuffle(members)
        tier = "primary" if r < rotations * 0.65 else "secondary"
        rots.append(Rotation(
            name=f"{region}-{zone.split('/')[-1].lower()}-{r:02d}",
            timezone=zone, shift_start=_hhmm(start_s), shift_end=_hhmm(end_s),
            days=days, handoff_days=handoff, start=start, tier=tier,
            members=tuple(members),
        ))

    # -- overrides and time off -------------------------------------------------------
    n_over = round(overrides_and_time_off * 0.4) if rots else 0
    n_off = overrides_and_time_off - n_over
    overrides: list[Override] = []
    for _ in range(n_over):
        rot = rng.choice(rots)
        user = rng.choice(rot.members) if rng.random() < 0.7 else rng.choice(people).id
        day = YEAR_START + timedelta(days=rng.randrange(YEAR_DAYS))
        if overrides and rng.random() < 0.08:
            # Stack some overrides on earlier ones: "the one listed later wins".
            prev = rng.choice(overrides)
            rot = next(x for x in rots if x.name == prev.rotation)
            start = prev.start + timedelta(hours=rng.randint(-6, 6))
        else:
            at = rot.shift_start if rng.random() < 0.5 else time(rng.randrange(24))
            start = timezones.to_utc(datetime.combine(day, at), rot.timezone)
        end = start + timedelta(hours=rng.randint(2, 48))
        overrides.append(Override(rot.name, user, start, end))

    time_off: list[TimeOff] = []
    for _ in range(n_off):
        if overrides and rng.random() < 0.05:
            # Someone away during their own override: the rotation's cover applies.
            o = rng.choice(overrides)
            spec = next(p for p in people if p.id == o.user)
            start = o.start + timedelta(hours=rng.randint(0, 6))
            time_off.append(TimeOff(spec.id, start, start + timedelta(hours=rng.randint(2, 30)),
                                    all_day=False))
            continue
        spec = rng.choice(people)
        first = YEAR_START + timedelta(days=rng.randrange(YEAR_DAYS))
        days = rng.randint(1, 10)
        if rng.random() < 0.8:  # whole days in the person's zone, "to" inclusive
            start = timezones.start_of_day(first, spec.timezone)
            end = timezones.start_of_day(first + timedelta(days=days), spec.timezone)
            time_off.append(TimeOff(spec.id, start, end, all_day=True))
        else:  # date-times in the person's zone
            start = timezones.to_utc(datetime.combine(first, time(rng.randrange(24))),
                                     spec.timezone)
            end = start + timedelta(hours=rng.randint(4, 24 * days))
            time_off.append(TimeOff(spec.id, start, end, all_day=False))

    return Team(
        name="bench-safety-escalations",
        languages=pool,
        intake_channel="C0INTAKE01",
        escalation_channel="C0ESCAL01",
        managers=(people[0].id,) if people else (),
        specialists=tuple(people),
        rotations=tuple(rots),
        overrides=tuple(overrides),
        time_off=tuple(time_off),
    )
