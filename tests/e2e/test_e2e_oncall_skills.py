"""End to end, `/oncall skills` (PRODUCT.md, "Categories (workflows)"): a manager gives
and takes skills as Slack sends the command (signed, mentions escaped), the change is
stored, audited and told to the person by DM through the local Slack stand-in; anyone
reads them; bad input and non-managers change nothing. `/oncall me`, `/oncall specialist`
and the Home tab show a person's skills and the categories they can be paged for.

The team is the example team at Wed 2026-07-01 12:00 UTC with its categories and
skills replaced once, before any command (the test stores them): two categories
require skills, le-emergency needs le_requests, child-safety needs child_safety;
`other` needs none. Nobody holds a skill at the start.
"""

from __future__ import annotations

import dataclasses
import io
from contextlib import redirect_stderr, redirect_stdout

import pytest
from sqlalchemy import select

from bot.cli import main as cli_main
from bot.core.model import Category
from bot.store import teams as team_store
from bot.store.paging_tables import AuditRow
from tests.e2e.test_e2e_home_feeds import open_home
from tests.e2e.test_e2e_oncall import (
    JOAO,
    M_OMAR,
    M_YASMINE,
    MGR,
    OMAR,
    STRANGER,
    TEAM,
    YASMINE,
    dm_texts,
    oncall,
    revision,
    roster,
)
from tests.slack_harness import ToolHarness, blocks_text, utc

CATEGORIES = (
    Category("le-emergency", "Law-enforcement emergency request", "sev1",
             skills=("le_requests",)),
    Category("child-safety", "Child safety", "sev1", skills=("child_safety",),
             sensitive=True),
    Category("other", "Other"),
)


@pytest.fixture
def slack(tmp_path):
    h = ToolHarness(tmp_path, utc(2026, 7, 1, 12, 0))
    with h.runtime.sessions() as session, session.begin():
        team = team_store.load_team(session, TEAM)
        nobody = tuple(dataclasses.replace(s, skills=()) for s in team.specialists)
        team = dataclasses.replace(team, categories=CATEGORIES, specialists=nobody)
        team_store.save_team(session, team,
                             expected_revision=team_store.team_revision(session, TEAM))
    yield h
    h.quiet_close()


def skills_of(h: ToolHarness, user: str) -> tuple[str, ...]:
    return roster(h).specialist(user).skills


def audit_rows(h: ToolHarness) -> list[AuditRow]:
    with h.runtime.sessions() as session:
        return list(session.scalars(select(AuditRow).where(
            AuditRow.team == TEAM, AuditRow.action == "specialist.skills")
            .order_by(AuditRow.id)))


# -- a manager gives and takes skills ------------------------------------------------------


def test_manager_gives_skills_stored_audited_and_the_person_is_told(slack):
    rev = revision(slack)
    text = oncall(slack, f"skills {M_OMAR} add le_requests child_safety")
    assert text.startswith(f"Done: gave <@{OMAR}> le_requests, child_safety.")
    assert f"Told by DM: <@{OMAR}>" in text
    assert "Warning" not in text and "Note" not in text
    assert skills_of(slack, OMAR) == ("le_requests", "child_safety")
    assert revision(slack) == rev + 1

    [row] = audit_rows(slack)
    assert row.actor == MGR
    assert row.at_utc.replace(tzinfo=None) == utc(2026, 7, 1, 12, 0).replace(tzinfo=None)
    assert "skills" not in row.detail["before"] and row.detail["before"]["id"] == OMAR
    assert row.detail["after"]["skills"] == ["le_requests", "child_safety"]
    assert row.detail["revision"] == rev + 1

    slack.settle()
    [dm] = dm_texts(slack, OMAR)
    assert dm.startswith(f"Your skills changed: gave <@{OMAR}> le_requests, child_safety "
                         f"(by <@{MGR}>).")
    assert "You hold: le_requests, child_safety." in dm
    assert "You can be paged for le-emergency, child-safety, other." in dm
    assert {c.params["channel"] for c in slack.posts()} == {OMAR}  # nobody else

    # The schedule's YAML export carries them.
    exported = export_yaml(slack)
    omar = exported[exported.index(f"id: {OMAR}"):]
    omar = omar[:omar.index("- id:")] if "- id:" in omar else omar
    assert "skills: [le_requests, child_safety]" in omar


def export_yaml(h: ToolHarness) -> str:
    """`oncall-bot schedules export <team>` on the app's database: the YAML it prints."""
    out, err = io.StringIO(), io.StringIO()
    with pytest.MonkeyPatch.context() as mp, redirect_stdout(out), redirect_stderr(err):
        mp.setenv("DATABASE_URL", h.database_url)
        code = cli_main(["schedules", "export", "--team", TEAM])
    assert code == 0, err.getvalue()
    return out.getvalue()


def test_removing_skills_warns_when_a_category_loses_its_last_holder(slack):
    oncall(slack, f"skills {M_OMAR} add child_safety le_requests")
    oncall(slack, f"skills {M_YASMINE} add child_safety")
    # Yasmine still holds child_safety: no warning.
    text = oncall(slack, f"skills {M_OMAR} remove child_safety")
    assert text.startswith(f"Done: took child_safety away from <@{OMAR}>.")
    assert "Warning" not in text
    assert skills_of(slack, OMAR) == ("le_requests",)
    # Now nobody does: the reply says where those requests go.
    text = oncall(slack, f"skills {M_YASMINE} remove child_safety")
    assert ("Warning: nobody holds child_safety any more: child-safety requests will go "
            "to the managers") in text
    assert skills_of(slack, YASMINE) == ()
    rows = audit_rows(slack)
    assert len(rows) == 4
    assert rows[-1].detail["before"]["skills"] == ["child_safety"]
    assert "skills" not in rows[-1].detail["after"]
    assert rows[-1].detail["warnings"] == [
        "nobody holds child_safety any more: child-safety requests will go to the managers"]
    slack.settle()
    assert dm_texts(slack, YASMINE)[-1].startswith(
        f"Your skills changed: took child_safety away from <@{YASMINE}> (by <@{MGR}>).")


def test_a_skill_no_category_requires_is_added_with_a_note(slack):
    text = oncall(slack, f"skills {M_OMAR} add legal_hold")
    assert text.startswith(f"Done: gave <@{OMAR}> legal_hold.")
    assert ("Note: no category requires legal_hold yet; categories: le-emergency (needs "
            "le_requests), child-safety (needs child_safety), other (no skill needed)") in text
    assert skills_of(slack, OMAR) == ("legal_hold",)
    assert audit_rows(slack)[-1].detail["notes"][0].startswith(
        "no category requires legal_hold yet")


def test_adding_a_skill_already_held_changes_nothing_and_says_so(slack):
    oncall(slack, f"skills {M_OMAR} add le_requests")
    rev, rows = revision(slack), len(audit_rows(slack))
    text = oncall(slack, f"skills {M_OMAR} add le_requests")
    assert text == f"Nothing to change: <@{OMAR}> already holds le_requests."
    assert revision(slack) == rev and len(audit_rows(slack)) == rows
    # With a new one beside it, the new one is given and the held one named.
    text = oncall(slack, f"skills {M_OMAR} add le_requests,child_safety")
    assert text.startswith(f"Done: gave <@{OMAR}> child_safety; <@{OMAR}> already holds "
                           "le_requests.")
    assert skills_of(slack, OMAR) == ("le_requests", "child_safety")


# -- reading them ----------------------------------------------------------------------------


def test_anyone_lists_the_skills_and_who_holds_them(slack):
    text = oncall(slack, "skills", user=STRANGER)
    assert text.startswith(f"*Skills of {TEAM}*")
    assert ("Warning: nobody holds le_requests: le-emergency requests will go to the "
            "managers") in text
    assert "- le_requests: needed by le-emergency; held by *nobody*" in text

    oncall(slack, f"skills {M_OMAR} add le_requests legal_hold")
    oncall(slack, f"skills {M_YASMINE} add le_requests child_safety")
    text = oncall(slack, "skills", user=JOAO)
    assert f"- le_requests: needed by le-emergency; held by <@{YASMINE}>, <@{OMAR}>" in text
    assert f"- child_safety: needed by child-safety; held by <@{YASMINE}>" in text
    assert "Warning" not in text
    assert f"Held, but no category requires them yet:\n- legal_hold: <@{OMAR}>" in text
    assert "`/oncall skills @layla add le_requests child_safety`" in text

    one = oncall(slack, f"skills {M_OMAR}", user=STRANGER)
    assert one == (f"<@{OMAR}> (Omar Farouk) holds: le_requests, legal_hold.\nThey can be "
                   "paged for le-emergency, other; not for child-safety (needs "
                   "child_safety).")
    shown = oncall(slack, f"specialist {M_OMAR}", user=STRANGER)
    assert shown.endswith(", skills le_requests, legal_hold")

    me = oncall(slack, "me", user=OMAR)
    assert ("Skills: le_requests, legal_hold; you can be paged for le-emergency, other; "
            "not for child-safety (needs child_safety)") in me
    assert "Skills: none; you can be paged for other; not for le-emergency (needs " \
        "le_requests), child-safety (needs child_safety)" in oncall(slack, "me", user=JOAO)


def test_home_tab_shows_a_persons_skills_and_categories(slack):
    oncall(slack, f"skills {M_OMAR} add le_requests")
    shown = blocks_text(open_home(slack, OMAR, "Ev0SKILL0001"))
    assert "*Your skills*: `le_requests`" in shown
    assert ("You can be paged for: Law-enforcement emergency request (`le-emergency`), "
            "Other (`other`)") in shown
    assert "Not for: Child safety (needs child_safety)" in shown
    joao = blocks_text(open_home(slack, JOAO, "Ev0SKILL0002"))
    assert "*Your skills*: none" in joao
    assert "Not for: Law-enforcement emergency request (needs le_requests)" in joao


def test_help_skills_shows_the_usage_and_examples(slack):
    text = oncall(slack, "help skills", user=STRANGER)
    assert text.startswith("*/oncall skills*")
    assert "`/oncall skills [@user [add|remove &lt;skill&gt; ...]]`" in text
    assert "Example: `/oncall skills @layla add le_requests child_safety`" in text
    assert "`/oncall skills @layla remove child_safety`" in text
    assert "managers to add or remove" in text
    assert "/oncall skills" in oncall(slack, "help", user=STRANGER)


# -- refusals --------------------------------------------------------------------------------


def test_only_managers_change_skills(slack):
    oncall(slack, f"skills {M_YASMINE} add child_safety")
    rev, rows = revision(slack), len(audit_rows(slack))
    slack.settle()
    posted = len(slack.posts())
    for who in (OMAR, YASMINE, STRANGER):
        for text in (f"skills {M_OMAR} add le_requests", f"skills {M_YASMINE} add x",
                     f"skills {M_YASMINE} remove child_safety"):
            reply = oncall(slack, text, user=who)
            assert reply.startswith(":warning: only managers"), (who, text, reply)
            assert f"<@{MGR}>" in reply and "change specialists' skills" in reply
    assert revision(slack) == rev and len(audit_rows(slack)) == rows
    assert skills_of(slack, YASMINE) == ("child_safety",) and skills_of(slack, OMAR) == ()
    slack.settle()
    assert len(slack.posts()) == posted


BAD = [
    # (command, what the reply must say was wrong, the example it must show)
    ("skills <@U0NOBODY1|x> add le_requests", "<@U0NOBODY1> is not a specialist of",
     "`/oncall specialist @layla languages=ar,fr,en"),
    ("skills <@U0NOBODY1|x>", "<@U0NOBODY1> is not a specialist of",
     "`/oncall specialist @layla languages=ar,fr,en"),
    ("skills @omar add le_requests", "'@omar' is plain text", "Example: `/oncall skills @layla"),
    ("skills <#C0SAFETY1|desk> add le_requests", "is a channel",
     "Example: `/oncall skills @layla"),
    (f"skills {M_OMAR} grant le_requests", "say add or remove, not 'grant'",
     "Example: `/oncall skills @layla add le_requests child_safety`"),
    (f"skills {M_OMAR} ad le_requests", "Did you mean `add`?", "Example: `/oncall skills"),
    (f"skills {M_OMAR} add", "Missing &lt;skill&gt;", "Example: `/oncall skills @layla add"),
    (f"skills {M_OMAR} remove", "Missing &lt;skill&gt;", "Example: `/oncall skills"),
    (f"skills {M_OMAR} add LE_Requests", "use 'le_requests'", "Example: `/oncall skills"),
    (f"skills {M_OMAR} add le requests!", "'requests!' is not a skill name",
     "e.g. le_requests"),
    (f"skills {M_OMAR} add child.safety", "'child.safety' is not a skill name",
     "Example: `/oncall skills"),
    (f"skills {M_OMAR} add le_requests le_requests", "listed twice",
     "Example: `/oncall skills"),
    (f"skills {M_OMAR} add le_requests {M_YASMINE}", "only skill names may follow",
     "Example: `/oncall skills"),
    (f"skills {M_OMAR} add " + "x" * 65, "is not a skill name", "Example: `/oncall skills"),
    # Omar holds le_requests only: removing it with one he lacks removes neither.
    (f"skills {M_OMAR} remove child_safety", f"<@{OMAR}> does not hold child_safety",
     "e.g. `/oncall skills @layla remove child_safety`"),
    (f"skills {M_OMAR} remove le_requests child_safety",
     f"<@{OMAR}> does not hold child_safety, so there is nothing to remove (they hold: "
     "le_requests); nothing was changed", "e.g. `/oncall skills @layla remove"),
]


def test_bad_input_says_what_was_wrong_with_an_example_and_changes_nothing(slack):
    oncall(slack, f"skills {M_OMAR} add le_requests")
    slack.settle()
    rev, before, rows, posted = (revision(slack), roster(slack).team, len(audit_rows(slack)),
                                 len(slack.posts()))
    for text, wrong, example in BAD:
        reply = oncall(slack, text)
        assert reply.startswith(":warning:") or "Usage:" in reply, (text, reply)
        assert wrong in reply, (text, reply)
        assert example in reply, (text, reply)
    assert revision(slack) == rev
    assert roster(slack).team == before
    assert len(audit_rows(slack)) == rows
    slack.settle()
    assert len(slack.posts()) == posted
