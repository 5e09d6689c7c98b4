"""A page Slack refused for good, against plain values: `escalation.decide` with
REFUSED moves on like a decline (the step's next candidate, else the next step at once),
the unreachable person is never paged again for the request, and the texts in
`bot.core.refusals` say what happened in plain words."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.core import escalation, refs, refusals, routing
from bot.core.escalation import DEADLINE, REFUSED, START, Context, Page, Position
from bot.core.model import EscalationPolicy, EscalationStep
from tests.core.team_values import NOW, always, person, roster

MIN = timedelta(minutes=1)

# Two Spanish readers on shift (U_ES1 the stronger), an English reader, an off-shift
# Spanish backup.
TEAM = roster([person("U_ES1", "es"), person("U_ES2", "en", "es"), person("U_EN", "en"),
               person("U_BACKUP", "es", backup=("es",))],
              [always("a", "U_ES1"), always("b", "U_ES2"), always("c", "U_EN")])


def ctx(**kw) -> Context:
    return Context(TEAM, "es", ("U_BOSS",), "C0ESCAL", **kw)


def policy(*steps: tuple[str, int | None], repeat: int = 0) -> EscalationPolicy:
    return EscalationPolicy(
        tuple(EscalationStep(kind, None if wait is None else wait * MIN) for kind, wait in steps),
        repeat)


# -- the decision -------------------------------------------------------------------------


def test_a_refused_page_goes_to_the_next_reader_of_the_step_at_once():
    pol = policy(("language_oncall", 5), ("managers", 10))
    d = escalation.decide(pol, Position(0, 0), REFUSED,
                          ctx(unreachable=frozenset({"U_ES1"}),
                              paged_this_step=frozenset({"U_ES1"})), NOW)
    [f] = d.fired
    assert (f.position, f.pages) == (Position(0, 0), (Page("U_ES2", routing.ON_CALL),))
    # The new person gets the step's whole wait.
    assert (d.position, d.next_due, d.exhausted) == (Position(0, 0), NOW + 5 * MIN, False)


def test_a_refused_page_with_nobody_left_in_the_step_fires_the_next_step_at_once():
    pol = policy(("language_oncall", 5), ("managers", 10))
    d = escalation.decide(pol, Position(0, 0), REFUSED,
                          ctx(unreachable=frozenset({"U_ES1"}),
                              paged_this_step=frozenset({"U_ES1", "U_ES2"})), NOW)
    assert [(f.position, f.managers) for f in d.fired] == [(Position(0, 1), ("U_BOSS",))]
    assert d.next_due == NOW + 10 * MIN


def test_a_refused_page_at_a_step_paging_several_waits_for_the_others():
    pol = policy(("language_oncall_all", 5), ("managers", 10))
    paged = frozenset({"U_ES1", "U_ES2"})
    d = escalation.decide(pol, Position(0, 0), REFUSED,
                          ctx(unreachable=frozenset({"U_ES1"}), paged_this_step=paged), NOW)
    assert d == escalation.Decision((), Position(0, 0), None)
    d = escalation.decide(pol, Position(0, 0), REFUSED,
                          ctx(unreachable=frozenset({"U_ES1"}), declined=frozenset({"U_ES2"}),
                              paged_this_step=paged), NOW)
    assert d.fired[0].managers == ("U_BOSS",)


def test_an_unreachable_person_is_skipped_by_later_steps_and_rounds():
    gone = frozenset({"U_ES1"})
    d = escalation.decide(policy(("language_oncall", 5), repeat=1), Position(0, 0), DEADLINE,
                          ctx(unreachable=gone), NOW)
    assert d.fired[0].pages == (Page("U_ES2", routing.ON_CALL),)
    d = escalation.decide(policy(("language_oncall_all", 5)), None, START,
                          ctx(unreachable=gone), NOW)
    assert [p.user for p in d.fired[0].pages] == ["U_ES2"]
    team = roster([person("U_EN", "en"), person("U_B1", "es", backup=("es",)),
                   person("U_B2", "es", backup=("es",))], [always("c", "U_EN")])
    d = escalation.decide(policy(("language_backup", 5)), None, START,
                          Context(team, "es", (), None, unreachable=frozenset({"U_B1"})), NOW)
    assert [p.user for p in d.fired[0].pages] == ["U_B2"]


# -- the words ----------------------------------------------------------------------------


@pytest.mark.parametrize(("code", "short"), [
    ("user_not_found", "deactivated account"), ("account_inactive", "deactivated account"),
    ("cannot_dm_bot", "a bot account"), ("not_in_channel", "conversation unavailable"),
    ("channel_not_found", "conversation unavailable"), ("is_archived", "conversation unavailable"),
    ("invalid_blocks", "message refused"), ("msg_too_long", "message refused"),
    ("something_new", "refused by Slack")])
def test_every_cause_has_plain_words_and_a_short_notice_key(code, short):
    c = refusals.cause(code)
    assert c.short == short
    assert "_" not in c.words + c.short  # no Slack error code shown to a person
    assert len(refusals.notice_kind(code)) <= 16  # fits the notice cursor's kind column


def test_one_notice_key_per_cause_not_per_error_code():
    assert refusals.notice_kind("user_not_found") == refusals.notice_kind("account_inactive")
    assert refusals.notice_kind("user_not_found") != refusals.notice_kind("msg_too_long")


def test_the_timeline_names_who_could_not_be_reached_and_who_is_paged_instead():
    pol = policy(("language_oncall", 5), ("managers", 10))
    d = escalation.decide(pol, Position(0, 0), REFUSED,
                          ctx(unreachable=frozenset({"U_ES1"}),
                              paged_this_step=frozenset({"U_ES1"})), NOW)
    text = refusals.timeline_text("U_ES1", "user_not_found",
                                  refusals.what_next(d, Position(0, 0), "es", 2))
    assert refs.plain(text) == ("Could not reach @U_ES1 on Slack (deactivated account); "
                                "paging @U_ES2, the next Spanish reader on call")


def test_the_timeline_says_when_the_next_step_fires_instead():
    pol = policy(("language_oncall", 5), ("managers", 10))
    d = escalation.decide(pol, Position(0, 0), REFUSED,
                          ctx(unreachable=frozenset({"U_ES1"}),
                              paged_this_step=frozenset({"U_ES1", "U_ES2"})), NOW)
    assert refusals.what_next(d, Position(0, 0), "es", 2) == (
        "nobody else to page at this step: now alerting the managers")


def test_the_timeline_for_waiting_exhausted_and_an_earlier_step():
    waiting = escalation.Decision((), Position(0, 0), None)
    assert refusals.what_next(waiting, Position(0, 0), "es", 2) == (
        "still waiting for the others paged at this step")
    done = escalation.Decision((), Position(0, 1), None, exhausted=True)
    assert refusals.what_next(done, Position(0, 1), "es", 2) == (
        "nobody is left to page; the request stays open")
    assert refusals.what_next(None, Position(0, 1), "es", 2) == (
        "the escalation had already moved past that step")


def test_the_managers_notice_says_why_and_what_to_fix():
    text = refs.plain(refusals.manager_text("U_ES1", "account_inactive", "T-3"))
    assert text.startswith("Slack refused a page to @U_ES1 (T-3): their Slack account is "
                           "deactivated or missing.")
    assert "/oncall rotation remove" in text and "in the next hour" in text
    # A refused message is not the person's fault: nothing to fix in their entry.
    text = refs.plain(refusals.manager_text("U_ES1", "msg_too_long", "T-3"))
    assert "too long or malformed" in text and "fix their entry" not in text
