"""Who can be asked to verify a two-person request, and in what order (pure)."""

from __future__ import annotations

from dataclasses import replace

from bot.core import verification as v
from bot.core.model import OUTCOMES
from tests.core.team_values import NOW, always, away_now, person, roster

LE = ("le_requests",)


def skilled(spec, *skills):
    return replace(spec, skills=skills)


def test_on_call_readers_first_then_on_call_others_then_backups_never_away_or_unskilled():
    people = [
        skilled(person("U1", "es"), *LE),          # the assignee
        skilled(person("U2", "en", "es"), *LE),    # on call, reads es (weaker)
        skilled(person("U3", "es"), *LE),          # on call, reads es (strongest), secondary
        skilled(person("U4", "ar"), *LE),          # on call, does not read es
        person("U5", "es"),                        # on call, no skill
        skilled(person("U6", "es", backup=("es",)), *LE),   # off shift, es backup
        skilled(person("U7", "ar", backup=("ar",)), *LE),   # off shift, ar backup
        skilled(person("U8", "es", backup=("es",)), *LE),   # off shift backup, away
        skilled(person("U9", "es"), *LE),          # off shift, no backup
    ]
    rotations = [always("r1", "U1"), always("r2", "U2"), always("r3", "U3", "secondary"),
                 always("r4", "U4"), always("r5", "U5")]
    r = roster(people, rotations, (away_now("U8"),))
    found = v.verifiers(r, LE, "es", NOW, {"U1"})
    assert [(c.user, c.group) for c in found] == [
        ("U2", v.ON_CALL), ("U3", v.ON_CALL), ("U4", v.ON_CALL),
        ("U6", v.BACKUP), ("U7", v.BACKUP)]


def test_next_verifier_walks_on_then_starts_again_with_the_longest_ago():
    cands = [v.Verifier("A", v.ON_CALL), v.Verifier("B", v.BACKUP)]
    assert v.next_verifier(cands, ()).user == "A"
    assert v.next_verifier(cands, ("A",)).user == "B"
    assert v.next_verifier(cands, ("A", "B")).user == "A"
    assert v.next_verifier(cands, ("A", "B", "A")).user == "B"
    assert v.next_verifier([], ("A",)) is None


def test_every_outcome_has_words():
    assert tuple(v.OUTCOME_WORDS) == OUTCOMES
    assert v.outcome_words("not_emergency") == "Not an emergency"
    assert v.outcome_words(None) == v.outcome_words("bogus") == ""
