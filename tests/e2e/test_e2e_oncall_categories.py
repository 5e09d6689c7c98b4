"""End to end, `/oncall category ...` and `/oncall capacity` (PRODUCT.md, "Categories
(workflows)" and "Slash commands"): anyone reads the categories; a manager creates,
changes and deletes one and sets the routing capacity as Slack sends the commands
(signed), each change stored, audited (who, when, before, after) and shown by the
schedule's YAML export; non-managers and bad input change nothing and are told why,
with a correct example. A request already filed keeps its category as it was.

The team is the example team (schedules/example) at Wed 2026-07-01 12:00 UTC: six
categories (le-emergency with policy le-emergency, two-person verification and four
fields; child-safety sensitive with weight 3; `other` the default), capacity 3.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.core.model import Category
from bot.store.paging_tables import AuditRow
from tests.e2e.test_e2e_oncall import MGR, OMAR, STRANGER, TEAM, oncall, revision, roster
from tests.e2e.test_e2e_oncall_skills import export_yaml
from tests.slack_harness import ToolHarness, utc

NOW = utc(2026, 7, 1, 12, 0)


@pytest.fixture
def slack(tmp_path):
    h = ToolHarness(tmp_path, NOW)
    yield h
    h.quiet_close()


def audit_rows(h: ToolHarness, prefix: str = "category.") -> list[AuditRow]:
    with h.runtime.sessions() as session:
        rows = session.scalars(select(AuditRow).where(AuditRow.team == TEAM)
                               .order_by(AuditRow.id))
        return [r for r in rows if r.action.startswith(prefix)]


def category(h: ToolHarness, name: str) -> Category | None:
    return next((c for c in roster(h).team.categories if c.name == name), None)


def yaml_category(text: str, name: str) -> str:
    """The lines of one category in an exported schedule file."""
    block = text[text.index(f"- name: {name}\n"):]
    ends = [block.find(end) for end in ("\n  - ", "\n\n") if end in block]
    return block[:min(ends)] if ends else block


# -- reading --------------------------------------------------------------------------------


def test_anyone_lists_every_category_with_its_settings_and_the_default(slack):
    text = oncall(slack, "category list", user=STRANGER)
    assert text.startswith(f"*Categories of {TEAM}* (default: other)")
    assert ("• `le-emergency` Law-enforcement emergency request: severity sev1; policy "
            "le-emergency; due 30m; skills le_requests; sensitive no (weight 0); "
            "verification two_person; fields agency, officer, callback_number, "
            "case_reference") in text
    assert ("• `child-safety` Child safety: severity sev1; policy the severity's; due 30m; "
            "skills child_safety; sensitive yes (weight 3); verification none; fields none"
            ) in text
    assert "• `other` *(default)* Other: severity default (sev2);" in text
    assert "at most 3 open request(s)" in text
    assert "`/oncall category set le-emergency due=20m skills=le_requests`" in text


def test_anyone_shows_one_category(slack):
    text = oncall(slack, "category show le-emergency", user=STRANGER)
    lines = text.split("\n")
    assert lines[0] == "*Category le-emergency*: Law-enforcement emergency request"
    assert "Severity: sev1 (an explicit sevN on a request wins)" in lines
    assert "Escalation policy: le-emergency" in lines
    assert lines[3].startswith("Skills: le_requests (held by <@")
    assert "Due: 30m" in lines
    assert "Verification: two-person (a second person verifies before disclosure)" in lines
    assert "Fields asked: agency, officer, callback_number, case_reference" in lines
    other = oncall(slack, "category show other", user=STRANGER)
    assert "It is the default category: requests filed without one get it." in other
    assert "Skills: none (anyone who reads the language is paged)" in other
    missing = oncall(slack, "category show child-safty", user=STRANGER)
    assert missing.startswith(":warning: no category named 'child-safty'; categories: ")
    assert "(did you mean 'child-safety'?)" in missing
    assert "`/oncall category show le-emergency`" in missing


# -- a manager edits --------------------------------------------------------------------------


def test_manager_creates_changes_and_deletes_a_category_stored_audited_exported(slack):
    rev = revision(slack)
    text = oncall(slack, 'category create legal-hold label="Legal hold request" '
                         "severity=sev2 due=4h skills=le_requests fields=agency,case_reference")
    assert text == "Done: created category legal-hold (Legal hold request)."
    assert category(slack, "legal-hold") == Category(
        "legal-hold", "Legal hold request", "sev2", skills=("le_requests",),
        due=timedelta(hours=4), fields=("agency", "case_reference"))
    assert revision(slack) == rev + 1
    [row] = audit_rows(slack)
    assert (row.action, row.actor) == ("category.create", MGR)
    assert row.at_utc.replace(tzinfo=None) == NOW.replace(tzinfo=None)
    assert row.detail["before"] is None
    assert row.detail["after"] == {"name": "legal-hold", "label": "Legal hold request",
                                   "severity": "sev2", "skills": ["le_requests"], "due": "4h",
                                   "fields": ["agency", "case_reference"]}
    assert yaml_category(export_yaml(slack), "legal-hold") == (
        "- name: legal-hold\n    label: Legal hold request\n    severity: sev2\n"
        "    skills: [le_requests]\n    due: 4h\n    fields: [agency, case_reference]")
    assert "legal-hold" in oncall(slack, "category list", user=STRANGER)

    text = oncall(slack, "category set legal-hold due=2h policy=le-emergency sensitive=true")
    assert text.startswith("Done: changed category legal-hold: due 4h → 2h, policy none → "
                           "le-emergency, sensitive false → true.")
    assert ("Note: requests already filed as legal-hold keep it as it was when they were "
            "filed; this applies to new requests") in text
    cat = category(slack, "legal-hold")
    assert (cat.due, cat.policy, cat.sensitive) == (timedelta(hours=2), "le-emergency", True)
    row = audit_rows(slack)[-1]
    assert row.action == "category.set" and row.detail["before"]["due"] == "4h"
    assert row.detail["after"]["due"] == "2h" and row.detail["after"]["sensitive"] is True
    exported = yaml_category(export_yaml(slack), "legal-hold")
    assert "    policy: le-emergency\n" in exported and "    due: 2h\n" in exported
    assert "    sensitive: true\n" in exported

    # A new label alone does not change routing: no note. none clears a key.
    text = oncall(slack, 'category set legal-hold label="Legal hold"')
    assert text == ("Done: changed category legal-hold: label Legal hold request → "
                    "Legal hold.")
    text = oncall(slack, "category set legal-hold policy=none")
    assert "policy le-emergency → none" in text and "Note: requests already filed" in text
    assert category(slack, "legal-hold").policy is None

    text = oncall(slack, "category delete legal-hold")
    assert text.startswith("Done: deleted category legal-hold.")
    assert "requests already filed as legal-hold keep it" in text
    assert category(slack, "legal-hold") is None
    row = audit_rows(slack)[-1]
    assert row.action == "category.delete" and row.detail["after"] is None
    assert row.detail["before"]["label"] == "Legal hold"
    assert "legal-hold" not in export_yaml(slack)
    assert revision(slack) == rev + 5


def test_requiring_a_skill_nobody_holds_warns_like_the_schedule_file(slack):
    text = oncall(slack, "category set child-safety skills=child_safety,csam_review")
    assert ("Warning: nobody holds csam_review: child-safety requests will go to the "
            "managers") in text
    assert category(slack, "child-safety").skills == ("child_safety", "csam_review")
    assert audit_rows(slack)[-1].detail["warnings"] == [
        "nobody holds csam_review: child-safety requests will go to the managers"]
    text = oncall(slack, 'category create takedown label="Takedown" skills=takedown')
    assert "Warning: nobody holds takedown: takedown requests will go to the managers" in text


def test_a_request_already_filed_keeps_its_category_as_it_was(slack):
    r = slack.command("/emergency", "cat:threat-to-life lang:en someone says they will hurt "
                                    "a person tonight")
    assert r.status == 200, r.text
    [req] = slack.requests()
    assert req.due == NOW + timedelta(minutes=15)
    text = oncall(slack, "category set threat-to-life due=5m severity=sev2")
    assert "requests already filed as threat-to-life keep it as it was" in text
    [req] = slack.requests()
    assert (req.category, req.due, req.severity) == ("threat-to-life",
                                                     NOW + timedelta(minutes=15), "sev1")


def test_a_new_category_takes_requests_at_once(slack):
    oncall(slack, 'category create legal-hold label="Legal hold request" severity=sev2 due=4h')
    r = slack.command("/emergency", "cat:legal-hold lang:en preserve the account's data "
                                    "for a court order")
    assert r.status == 200, r.text
    [req] = slack.requests()
    assert (req.category, req.category_label, req.severity) == (
        "legal-hold", "Legal hold request", "sev2")
    assert req.due == NOW + timedelta(hours=4)


def test_setting_what_a_category_already_has_changes_nothing(slack):
    rev = revision(slack)
    assert oncall(slack, "category set le-emergency due=30m severity=sev1") == (
        "Nothing to change: category le-emergency already has those settings.")
    assert revision(slack) == rev and audit_rows(slack, "") == []


def test_the_default_category_is_not_deleted_until_another_is_the_default(slack):
    rev = revision(slack)
    text = oncall(slack, "category delete other")
    assert text.startswith(":warning: other is the default category (requests filed without "
                           "a category get it), so it cannot be deleted; make another one "
                           "the default first, e.g. `/oncall category default le-emergency`")
    assert revision(slack) == rev and category(slack, "other") is not None
    text = oncall(slack, "category default threat-to-life")
    assert text.startswith("Done: made threat-to-life the default category (was other).")
    assert roster(slack).team.default_category == "threat-to-life"
    assert oncall(slack, "category delete other").startswith("Done: deleted category other.")
    assert "default_category: threat-to-life" in export_yaml(slack)
    assert [r.action for r in audit_rows(slack)] == ["category.default", "category.delete"]


def test_manager_sets_the_capacity_stored_audited_exported(slack):
    assert oncall(slack, "capacity", user=STRANGER).startswith(
        "Each person holds at most 3 open request(s)")
    rev = revision(slack)
    text = oncall(slack, "capacity 5")
    assert text == "Done: set routing capacity to 5 open request(s) per person (was 3)."
    assert roster(slack).team.max_open_per_person == 5 and revision(slack) == rev + 1
    [row] = audit_rows(slack, "routing.")
    assert (row.action, row.actor) == ("routing.capacity", MGR)
    assert (row.detail["before"], row.detail["after"]) == ({"max_open_per_person": 3},
                                                          {"max_open_per_person": 5})
    assert "routing:\n  max_open_per_person: 5" in export_yaml(slack)
    assert oncall(slack, "capacity max_open_per_person=5") == (
        "Nothing to change: routing capacity is already 5.")
    assert len(audit_rows(slack, "routing.")) == 1
    assert "at most 5 open request(s)" in oncall(slack, "capacity", user=OMAR)


# -- refusals --------------------------------------------------------------------------------


def test_only_managers_change_categories_or_capacity(slack):
    rev, before = revision(slack), roster(slack).team
    for who in (OMAR, STRANGER):
        for text, verb in (('category create x label="X"', "change categories"),
                           ("category set other due=1h", "change categories"),
                           ("category delete child-safety", "change categories"),
                           ("category default le-emergency", "change categories"),
                           ("capacity 9", "change routing capacity")):
            reply = oncall(slack, text, user=who)
            assert reply.startswith(":warning: only managers"), (who, text, reply)
            assert f"<@{MGR}>" in reply and verb in reply, (who, text, reply)
    assert revision(slack) == rev and roster(slack).team == before
    assert audit_rows(slack, "") == []


SET = "Example: `/oncall category set le-emergency due=20m skills=le_requests`"
CREATE = 'Example: `/oncall category create legal-hold label="Legal hold request"'
BAD = [
    # (command, what the reply must say was wrong, the example it must show)
    ("category", "Which category command?", "Example: `/oncall category show le-emergency`"),
    ("category remove other", "Unknown category command 'remove'",
     "Example: `/oncall category show"),
    ("category set le-emergency", "Nothing to set", SET),
    ("category set le-emergency due=soon", "Due 'soon' is not a duration", SET),
    ("category set le-emergency due=0m", "Due '0m' is not a duration", SET),
    ("category set le-emergency sensitive=yes", "must be true or false", SET),
    ("category set le-emergency colour=red", "Unknown key 'colour'", SET),
    ("category set le-emergency skills=LE", "Skill names are lowercase", SET),
    ("category set le-emergency fields=Agency", "'Agency' is not a field name", SET),
    ("category set le-emergency exposure_weight=0", "Exposure_weight must be at least 1", SET),
    ("category set le-emergency due=1h due=2h", "given twice", SET),
    ("category set Le-Emergency due=1h", "Names are lowercase", SET),
    ("category create legal-hold severity=sev2", "Missing label=", CREATE),
    ("category set le-emergency label=none", "needs a label", SET),
    # The team's rules, as the schedule file has them:
    ("category set le-emergency severity=sev4",
     "unknown severity 'sev4'; allowed: sev1, sev2, sev3",
     "e.g. `/oncall category set le-emergency severity=sev1`"),
    ("category set le-emergency policy=le-emergancy",
     "unknown policy 'le-emergancy'; the team's escalation policies are ",
     "e.g. `/oncall category set le-emergency policy=none`"),
    ("category set le-emergency verification=four_eyes",
     "unknown verification 'four_eyes'; allowed: two_person",
     "e.g. `/oncall category set le-emergency verification=two_person`"),
    ("category set le-emergency skills=le_requests,le_requests", "listed twice", SET),
    ('category create le-emergency label="Again"',
     "there is already a category named 'le-emergency'",
     "change that one with `/oncall category set le-emergency ...`"),
    ('category create legal-hold label="Legal" policy=nope', "unknown policy 'nope'",
     'e.g. `/oncall category create legal-hold label="Law-enforcement emergency request" '
     "policy=none`"),
    ("category set legal-hold due=1h", "no category named 'legal-hold'",
     "e.g. `/oncall category set le-emergency due=20m"),
    ("category delete legal-hold", "no category named 'legal-hold'",
     "e.g. `/oncall category delete legal-hold`"),
    ("category default nope", "no category named 'nope'",
     "e.g. `/oncall category default le-emergency`"),
    ("capacity 0", "Capacity must be at least 1", "Example: `/oncall capacity 3`"),
    ("capacity many", "Capacity 'many' must be a whole number", "Example: `/oncall capacity 3`"),
    ("capacity 2 3", "Unexpected '3'", "Example: `/oncall capacity 3`"),
]


def test_bad_input_says_what_was_wrong_with_an_example_and_changes_nothing(slack):
    rev, before = revision(slack), roster(slack).team
    for text, wrong, example in BAD:
        reply = oncall(slack, text)
        assert reply.startswith(":warning:") or "Usage:" in reply, (text, reply)
        assert wrong in reply, (text, reply)
        assert example in reply, (text, reply)
    assert revision(slack) == rev
    assert roster(slack).team == before
    assert audit_rows(slack, "") == []


# -- help ------------------------------------------------------------------------------------


def test_help_category_shows_every_category_command(slack):
    text = oncall(slack, "help category", user=STRANGER)
    assert text.startswith("*/oncall category commands*")
    for usage in ("/oncall category list", "/oncall category show &lt;name&gt;",
                  "/oncall category set &lt;name&gt; &lt;key&gt;=&lt;value&gt; ...",
                  "/oncall category delete &lt;name&gt;",
                  "/oncall category default &lt;name&gt;"):
        assert f"`{usage}`" in text, usage
    assert "none clears a key" in text
    assert "Requests already filed keep the category as it was when filed." in text
    everything = oncall(slack, "help", user=STRANGER)
    assert "`/oncall category list`" in everything and "`/oncall capacity [N]`" in everything
    assert "`/oncall category create &lt;name&gt;" in everything
    assert oncall(slack, "help capacity").startswith("*/oncall capacity*")
