"""End to end: what people type for dates and times (`today`, `tomorrow`, weekday names,
`+2h`, `+30m`, `18:00`, ISO), read in the zone of the command's times; `/oncall help`
ordered for the asker; error examples that name the asker's own shift.

The team is schedules/safety-escalations.yaml at Wed 2026-07-01 12:00 UTC: 15:00 in
Cairo (Omar, EEST, on call for emea-ar-fr 09:00-17:00 his time through Mon 07-06),
14:00 in Paris (Yasmine, next on that rotation)."""

from __future__ import annotations

import pytest

from tests.e2e.test_e2e_oncall import (
    M_YASMINE,
    MGR,
    OMAR,
    STRANGER,
    YASMINE,
    oncall,
    revision,
    roster,
)
from tests.slack_harness import ToolHarness, utc


@pytest.fixture
def slack(tmp_path):
    h = ToolHarness(tmp_path, utc(2026, 7, 1, 12, 0))
    yield h
    h.quiet_close()


# (from, to, an instant inside the time off, an instant outside it), Omar in Cairo (UTC+3)
AWAY = [
    ("today", "today", utc(2026, 7, 1, 20), utc(2026, 7, 1, 21, 30)),  # Cairo midnight
    ("tomorrow", "tomorrow", utc(2026, 7, 2, 8), utc(2026, 7, 1, 20)),
    ("fri", "fri", utc(2026, 7, 3, 8), utc(2026, 7, 2, 8)),
    ("friday", "saturday", utc(2026, 7, 4, 8), utc(2026, 7, 2, 8)),
    ("+2h", "18:00", utc(2026, 7, 1, 14, 30), utc(2026, 7, 1, 13, 30)),  # 17:00-18:00 his
    ("+30m", "+1h", utc(2026, 7, 1, 12, 45), utc(2026, 7, 1, 12, 15)),
    ("16:00", "2026-07-01T17:00", utc(2026, 7, 1, 13, 30), utc(2026, 7, 1, 12, 30)),
    ("2026-07-03", "2026-07-03", utc(2026, 7, 3, 8), utc(2026, 7, 4, 8)),
]


@pytest.mark.parametrize(("start", "end", "inside", "outside"), AWAY)
def test_away_takes_what_people_type_in_their_own_zone(slack, start, end, inside, outside):
    reply = oncall(slack, f"away {start} {end}", user=OMAR)
    assert reply.startswith("Done: <@U0EU00009> is away"), reply
    r = roster(slack)
    assert r.is_away(OMAR, inside) and not r.is_away(OMAR, outside)


def test_a_manager_marking_someone_away_reads_times_in_that_persons_zone(slack):
    # 18:00 in Paris (Yasmine's zone) is 16:00 UTC; in Cairo it would be 15:00 UTC.
    oncall(slack, f"away {M_YASMINE} 18:00 19:00", user=MGR)
    r = roster(slack)
    assert r.is_away(YASMINE, utc(2026, 7, 1, 16, 30))
    assert not r.is_away(YASMINE, utc(2026, 7, 1, 15, 30))


def test_cover_takes_typed_times_and_covers_the_right_hour(slack):
    reply = oncall(slack, "cover +1h 17:00", user=OMAR)  # 16:00-17:00 Cairo today
    assert reply.startswith("Asked "), reply
    assert "Wed 2026-07-01 16:00-17:00 EEST" in reply


def test_swap_takes_a_weekday(slack):
    reply = oncall(slack, f"swap {M_YASMINE} thu", user=OMAR)
    assert "takes emea-ar-fr Thu 2026-07-02" in reply, reply


def test_an_unreadable_time_lists_the_forms_and_changes_nothing(slack):
    rev = revision(slack)
    reply = oncall(slack, "away soon later", user=OMAR)
    assert "'soon' is not a date or date-time" in reply
    assert "today, tomorrow, a weekday (mon), +2h, +30m, 18:00" in reply
    assert revision(slack) == rev


def test_error_examples_name_the_askers_own_next_shift_and_a_real_colleague(slack):
    # Omar's next shift starts Thu 2026-07-02 09:00 in Cairo.
    cover = oncall(slack, "cover tomorrow", user=OMAR)
    assert "Missing &lt;to&gt;" in cover
    assert "Example: `/oncall cover 2026-07-02T09:00 2026-07-02T17:00`" in cover
    swap = oncall(slack, "swap", user=OMAR)
    assert "Example: `/oncall swap @yasmine 2026-07-02`" in swap
    away = oncall(slack, "away", user=OMAR)
    assert "Example: `/oncall away 2026-07-02 2026-07-02`" in away
    # Someone with no shifts gets the general example.
    assert "Example: `/oncall swap @ana 2026-12-24`" in oncall(slack, "swap", user=STRANGER)


def _order(text: str, *usages: str) -> list[int]:
    return [text.index(u) for u in usages]


def test_help_puts_a_specialists_own_commands_first_each_with_an_example(slack):
    text = oncall(slack, "help", user=OMAR)
    own = _order(text, "*Your commands*", "`/oncall me`", "`/oncall away [@user]",
                 "`/oncall swap @user", "`/oncall cover", "`/oncall export")
    assert own == sorted(own)
    assert own[-1] < text.index("*For everyone*") < text.index("*Manager commands")
    assert text.index("`/oncall export") < text.index("`/oncall rotation create")
    # His own commands' examples work for him: his next shift, a colleague, his feed.
    assert "Example: `/oncall cover 2026-07-02T09:00 2026-07-02T17:00`" in text
    assert "Example: `/oncall swap @yasmine 2026-07-02`" in text
    assert "Example: `/oncall away 2026-07-02 2026-07-02`" in text
    assert "Example: `/oncall export`\n" in text
    assert "Example: `/oncall rotation add emea @layla 2`" in text
    assert "(managers only)" in text  # he is not one


def test_help_for_a_manager_lists_the_manager_commands_too_after_the_rest(slack):
    text = oncall(slack, "help", user=MGR)
    assert "*Manager commands*" in text and "(managers only)" not in text
    assert text.index("*For everyone*") < text.index("*Manager commands*")
    assert text.index("`/oncall who") < text.index("`/oncall rotation create")
    # A manager with no shifts gets the general examples.
    assert "Example: `/oncall cover 2026-12-24T08:00 2026-12-24T12:00`" in text


def test_override_reads_typed_times_in_the_rotations_zone(slack):
    # The manager has no zone of his own here; emea-ar-fr runs on Dublin time (IST,
    # UTC+1): 14:00-15:00 there is 13:00-14:00 UTC, inside Omar's shift.
    oncall(slack, f"override emea-ar-fr {M_YASMINE} 14:00 15:00", user=MGR)
    at = utc(2026, 7, 1, 13, 30)
    [a] = [a for a in roster(slack).on_call(at) if a.rotation == "emea-ar-fr"]
    assert (a.user, a.kind, a.start, a.end) == (YASMINE, "override", utc(2026, 7, 1, 13),
                                                utc(2026, 7, 1, 14))
