"""bot.core.escalation.decide against plain values: what fires for each step kind, when
the next deadline falls, repeats, exhaustion, and declined pages.

(Stale deadlines are the services' business: a deadline carries the request's step token,
and the service drops one whose token is old before it calls `decide`. `decide` itself
only ever sees the position that fired last; the tests below pin what it does with it.)
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.core import escalation, routing
from bot.core.escalation import DEADLINE, DECLINE, START, Context, Page, Position
from bot.core.model import EscalationPolicy, EscalationStep
from tests.core.team_values import NOW, always, person, roster

MIN = timedelta(minutes=1)

# Two Spanish readers on shift (U_ES1 the stronger), an English reader on shift, and an
# off-shift Spanish backup.
TEAM = roster([person("U_ES1", "es"), person("U_ES2", "en", "es"), person("U_EN", "en"),
               person("U_BACKUP", "es", backup=("es",))],
              [always("a", "U_ES1"), always("b", "U_ES2"), always("c", "U_EN")])


def ctx(language: str = "es", managers: tuple[str, ...] = ("U_BOSS",),
        channel: str | None = "C0ESCAL", **kw) -> Context:
    return Context(TEAM, language, managers, channel, **kw)


def policy(*steps: tuple[str, int | None], repeat: int = 0) -> EscalationPolicy:
    return EscalationPolicy(
        tuple(EscalationStep(kind, None if wait is None else wait * MIN) for kind, wait in steps),
        repeat)


def decide(pol: EscalationPolicy, last: Position | None, reason: str = DEADLINE,
           context: Context | None = None) -> escalation.Decision:
    return escalation.decide(pol, last, reason, context or ctx(), NOW)


# -- each step kind -------------------------------------------------------------------------


def test_start_pages_the_best_on_call_reader_and_waits():
    d = decide(policy(("language_oncall", 5), ("managers", None)), None, START)
    [f] = d.fired
    assert (f.position, f.kind, f.pages, f.note) == (
        Position(0, 0), "language_oncall", (Page("U_ES1", routing.ON_CALL),), "")
    assert (d.position, d.next_due, d.exhausted) == (Position(0, 0), NOW + 5 * MIN, False)


def test_language_oncall_all_pages_every_reader_but_those_who_declined():
    d = decide(policy(("language_oncall_all", 5)), None, START,
               ctx(declined=frozenset({"U_ES1"})))
    assert d.fired[0].pages == (Page("U_ES2", routing.ON_CALL),)
    d = decide(policy(("language_oncall_all", 5)), None, START)
    assert [p.user for p in d.fired[0].pages] == ["U_ES1", "U_ES2"]


def test_language_backup_pages_opted_in_backups():
    d = decide(policy(("language_backup", 5)), None, START)
    [f] = d.fired
    assert (f.pages, f.note) == ((Page("U_BACKUP", routing.BACKUP),), "")


def test_managers_step_notifies_the_managers():
    d = decide(policy(("language_oncall", 5), ("managers", 10)), Position(0, 0))
    [f] = d.fired
    assert (f.position, f.managers, f.pages) == (Position(0, 1), ("U_BOSS",), ())
    assert d.next_due == NOW + 10 * MIN


def test_channel_step_posts_to_the_escalation_channel():
    d = decide(policy(("channel", None)), None, START)
    assert d.fired[0].channel == "C0ESCAL"


def test_an_unknown_step_kind_is_an_error():
    with pytest.raises(ValueError, match="unknown escalation step kind 'pigeon'"):
        decide(policy(("pigeon", 5)), None, START)


# -- fallbacks and skipped steps ---------------------------------------------------------------


def test_language_oncall_falls_back_to_a_backup_then_to_translation():
    d = decide(policy(("language_oncall", 5)), None, START, ctx(language="ar"))
    [page] = d.fired[0].pages
    assert (page.source, page.needs_translation) == (routing.TRANSLATION, True)
    assert d.fired[0].note == "nobody on shift or on backup reads Arabic: needs translation"
    team = roster([person("U_EN", "en"), person("U_AR", "ar", backup=("ar",))],
                  [always("c", "U_EN")])
    d = escalation.decide(policy(("language_oncall", 5)), None, START,
                          Context(team, "ar", (), None), NOW)
    assert d.fired[0].pages == (Page("U_AR", routing.BACKUP),)
    assert d.fired[0].note == "nobody on shift reads Arabic: paging an off-shift backup"


def test_steps_that_find_nobody_are_skipped_at_once_with_a_note():
    pol = policy(("language_backup", 5), ("managers", 5), ("channel", 5))
    d = decide(pol, None, START, ctx(language="en", managers=()))
    assert [(f.kind, f.note) for f in d.fired] == [
        ("language_backup", "no off-shift backup for English"),
        ("managers", "the team lists no managers"),
        ("channel", "")]
    assert (d.position, d.next_due) == (Position(0, 2), NOW + 5 * MIN)


# -- waits, repeats, exhaustion ---------------------------------------------------------------


def test_a_deadline_fires_the_next_step():
    pol = policy(("language_oncall", 5), ("managers", 10), ("channel", None))
    assert decide(pol, Position(0, 1)).fired[0].position == Position(0, 2)


def test_the_last_step_without_a_wait_exhausts_a_chain_without_repeats():
    d = decide(policy(("language_oncall", 5), ("channel", None)), Position(0, 0))
    assert (d.position, d.next_due, d.exhausted) == (Position(0, 1), None, True)


def test_after_the_last_step_the_chain_repeats_at_once():
    pol = policy(("language_oncall", 5), ("channel", None), repeat=1)
    d = decide(pol, Position(0, 0))
    assert (d.position, d.next_due, d.exhausted) == (Position(0, 1), NOW, False)
    d = decide(pol, Position(0, 1))
    assert d.fired[0].position == Position(1, 0)
    assert d.fired[0].pages == (Page("U_ES1", routing.ON_CALL),)


def test_a_deadline_after_the_last_round_fires_nothing():
    pol = policy(("language_oncall", 5), ("channel", 5), repeat=1)
    d = decide(pol, Position(1, 1))
    assert d == escalation.Decision((), Position(1, 1), None, exhausted=True)


def test_a_round_that_finds_nobody_is_not_repeated_forever():
    pol = policy(("language_backup", 5), ("managers", 5), repeat=3)
    d = decide(pol, None, START, ctx(language="en", managers=()))
    assert [f.position for f in d.fired] == [Position(0, 0), Position(0, 1)]
    assert (d.position, d.next_due, d.exhausted) == (Position(0, 1), None, True)


# -- declined pages -------------------------------------------------------------------------


def test_a_decline_pages_the_next_candidate_at_the_same_step():
    pol = policy(("language_oncall", 5), ("managers", 10))
    d = decide(pol, Position(0, 0), DECLINE,
               ctx(declined=frozenset({"U_ES1"}), paged_this_step=frozenset({"U_ES1"})))
    [f] = d.fired
    assert (f.position, f.pages) == (Position(0, 0), (Page("U_ES2", routing.ON_CALL),))
    assert (d.position, d.next_due) == (Position(0, 0), NOW + 5 * MIN)


def test_a_decline_skips_people_already_paged_at_the_step():
    pol = policy(("language_oncall", 5), ("managers", 10))
    d = decide(pol, Position(0, 0), DECLINE,
               ctx(declined=frozenset({"U_ES2"}), paged_this_step=frozenset({"U_ES1", "U_ES2"})))
    # U_ES1 (paged, not answering yet) is not paged twice; the chain's first level is
    # the on-call readers, all of them paged, so the escalation moves on.
    assert [(f.position, f.pages, f.managers) for f in d.fired] == [
        (Position(0, 1), (), ("U_BOSS",))]


def test_a_decline_with_nobody_left_moves_on_at_once():
    pol = policy(("language_oncall", 5), ("managers", 10))
    everyone = frozenset({"U_ES1", "U_ES2", "U_EN", "U_BACKUP"})
    d = decide(pol, Position(0, 0), DECLINE, ctx(declined=everyone))
    assert [(f.position, f.managers) for f in d.fired] == [(Position(0, 1), ("U_BOSS",))]
    assert d.next_due == NOW + 10 * MIN


def test_a_decline_at_a_step_paging_several_waits_for_the_others():
    pol = policy(("language_oncall_all", 5), ("managers", 10))
    paged = frozenset({"U_ES1", "U_ES2"})
    d = decide(pol, Position(0, 0), DECLINE,
               ctx(declined=frozenset({"U_ES1"}), paged_this_step=paged))
    assert d == escalation.Decision((), Position(0, 0), None)
    # Once all of them declined, the next step fires.
    d = decide(pol, Position(0, 0), DECLINE, ctx(declined=paged, paged_this_step=paged))
    assert d.fired[0].managers == ("U_BOSS",)


def test_declined_people_are_not_paged_again_in_later_rounds():
    pol = policy(("language_oncall", 5), repeat=1)
    d = decide(pol, Position(0, 0), DEADLINE, ctx(declined=frozenset({"U_ES1"})))
    assert d.fired[0].position == Position(1, 0)
    assert d.fired[0].pages == (Page("U_ES2", routing.ON_CALL),)


# -- the frozen policy --------------------------------------------------------------------------


def test_policy_json_round_trip_is_exact():
    pol = policy(("language_oncall", 5), ("language_backup", 3), ("channel", None), repeat=2)
    assert escalation.policy_from_json(escalation.policy_to_json(pol)) == pol


# -- deciding without the load ----------------------------------------------------------------

def test_steps_that_page_nobody_are_decided_without_the_load():
    """The service first decides without reading the load (it costs the team's routing
    turn): the managers' and the channel's steps need none, and decide the same."""
    pol = policy(("language_oncall", 5), ("managers", 5), ("channel", None))
    for last in (Position(0, 0), Position(0, 1)):
        assert decide(pol, last, context=ctx(load=None)) == decide(pol, last)


def test_a_step_that_pages_people_asks_for_the_load():
    pol = policy(("language_oncall", 5), ("managers", 5), ("language_oncall_all", None))
    with pytest.raises(escalation.LoadNeeded):
        decide(pol, None, START, context=ctx(load=None))
    with pytest.raises(escalation.LoadNeeded):
        decide(pol, Position(0, 1), context=ctx(load=None))
    # a managers step with no managers moves on to the next step, which pages
    with pytest.raises(escalation.LoadNeeded):
        decide(pol, Position(0, 0), context=ctx(managers=(), load=None))
