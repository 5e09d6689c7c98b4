"""The rotation modal: valid Block Kit, a round trip through simulated state values, and
every field error."""

from __future__ import annotations

import copy
import json
from dataclasses import replace
from datetime import date, time
from typing import Any

import pytest
from slack_sdk.models.views import View

from bot.core import timezones
from bot.core.model import Rotation, Specialist, Team
from bot.slack import ids
from bot.slack.rotation_modal import (
    COMMON_ZONES,
    parse_rotation_submission,
    rotation_modal,
    rotation_modal_metadata,
)

A, B, C = "U0RM00001", "U0RM00002", "U0RM00003"

OVERNIGHT = Rotation("ar-fr-overnight", "Europe/Dublin", time(23), time(7),
                     frozenset(range(7)), 3, date(2026, 1, 5), "primary", (B, A, C))
WEEKDAY = Rotation("weekday-backup", "Asia/Singapore", time(7), time(15),
                   frozenset({0, 1, 2, 3, 4}), 7, date(2026, 1, 7), "secondary", (C,))
ODD_ZONE = Rotation("cordoba", "America/Argentina/Cordoba", time(8), time(8),
                    frozenset({5, 6}), 1, date(2026, 2, 1), "primary", (A, B))
TEAM = Team(
    name="modal-desk",
    languages=("en", "ar", "fr"),
    intake_channel="C0INTAKE01",
    escalation_channel="C0ESCAL01",
    specialists=(
        Specialist(A, "A", "Asia/Macau", ("ar", "en")),
        Specialist(B, "B", "Europe/Paris", ("fr", "en")),
        Specialist(C, "C", "America/Chicago", ("ar", "fr")),
    ),
    rotations=(OVERNIGHT, WEEKDAY, ODD_ZONE),
)


def yaml_fields(rot: Rotation) -> dict[str, Any]:
    from bot.core.model import WEEKDAYS
    return {
        "name": rot.name,
        "timezone": rot.timezone,
        "shift": rot.shift_label,
        "days": [WEEKDAYS[d] for d in sorted(rot.days)],
        "handoff": rot.handoff_label,
        "start": rot.start.isoformat(),
        "tier": rot.tier,
        "members": list(rot.members),
    }


def submitted(view: dict[str, Any]) -> dict[str, Any]:
    """`view.state.values` as Slack would send it if the user submitted the initial values."""
    values: dict[str, Any] = {}
    for block in view["blocks"]:
        if block["type"] != "input":
            continue
        el = block["element"]
        kind = el["type"]
        state: dict[str, Any] = {"type": kind}
        if kind in ("plain_text_input", "number_input"):
            state["value"] = el.get("initial_value")
        elif kind in ("static_select", "radio_buttons"):
            state["selected_option"] = copy.deepcopy(el.get("initial_option"))
        elif kind == "timepicker":
            state["selected_time"] = el.get("initial_time")
        elif kind == "datepicker":
            state["selected_date"] = el.get("initial_date")
        elif kind == "checkboxes":
            state["selected_options"] = copy.deepcopy(el.get("initial_options", []))
        elif kind == "multi_users_select":
            state["selected_users"] = list(el.get("initial_users", []))
        else:
            pytest.fail(f"unexpected element {kind}")
        values[block["block_id"]] = {el["action_id"]: state}
    return values


def check_modal(view: dict[str, Any]) -> dict[str, Any]:
    assert view["type"] == "modal" and view["callback_id"] == ids.ROTATION_MODAL
    assert len(view["title"]["text"]) <= 24 and len(view["submit"]["text"]) <= 24
    assert len(view["blocks"]) <= 100
    assert len(view["private_metadata"]) <= 3000
    View(**view).validate_json()  # slack_sdk's own checks of every block and element
    block_ids = [b["block_id"] for b in view["blocks"] if "block_id" in b]
    assert len(block_ids) == len(set(block_ids))
    zone = block(view, ids.ROTATION_TIMEZONE_BLOCK)["element"]
    assert "options" not in zone and 1 <= len(zone["option_groups"]) <= 100
    values = []
    for group in zone["option_groups"]:
        assert 1 <= len(group["options"]) <= 100
        assert len(group["label"]["text"]) <= 75
        values += [o["value"] for o in group["options"]]
    assert len(values) == len(set(values))
    assert all(timezones.is_valid_zone(v) for v in values)
    if "initial_option" in zone:
        assert any(zone["initial_option"] in g["options"] for g in zone["option_groups"])
    return view


def block(view: dict[str, Any], block_id: str) -> dict[str, Any]:
    return next(b for b in view["blocks"] if b.get("block_id") == block_id)


def zone_values(view: dict[str, Any]) -> list[str]:
    el = block(view, ids.ROTATION_TIMEZONE_BLOCK)["element"]
    return [o["value"] for g in el["option_groups"] for o in g["options"]]


# --- building and round trip -----------------------------------------------------------


@pytest.mark.parametrize("rot", [OVERNIGHT, WEEKDAY, ODD_ZONE], ids=lambda r: r.name)
def test_edit_round_trip(rot):
    view = check_modal(rotation_modal(TEAM, rot, list(COMMON_ZONES)))
    team, name = rotation_modal_metadata(view["private_metadata"])
    assert (team, name) == ("modal-desk", rot.name)
    assert ids.ROTATION_NAME_BLOCK not in [b.get("block_id") for b in view["blocks"]]
    fields, errors = parse_rotation_submission(submitted(view), name=name)
    assert errors == {}
    assert fields == yaml_fields(rot)


def test_edit_preselects_current_values():
    view = rotation_modal(TEAM, OVERNIGHT, [])
    zone = block(view, ids.ROTATION_TIMEZONE_BLOCK)["element"]
    assert zone["initial_option"]["value"] == "Europe/Dublin"
    assert block(view, ids.ROTATION_SHIFT_START_BLOCK)["element"]["initial_time"] == "23:00"
    assert block(view, ids.ROTATION_SHIFT_END_BLOCK)["element"]["initial_time"] == "07:00"
    handoff = block(view, ids.ROTATION_HANDOFF_BLOCK)["element"]
    assert handoff["initial_option"]["value"] == ids.HANDOFF_EVERY
    assert block(view, ids.ROTATION_HANDOFF_DAYS_BLOCK)["element"]["initial_value"] == "3"
    assert block(view, ids.ROTATION_HANDOFF_DAYS_BLOCK)["optional"] is True
    assert block(view, ids.ROTATION_START_BLOCK)["element"]["initial_date"] == "2026-01-05"
    members = block(view, ids.ROTATION_MEMBERS_BLOCK)["element"]
    assert members["type"] == "multi_users_select" and members["initial_users"] == [B, A, C]
    tier = block(view, ids.ROTATION_TIER_BLOCK)["element"]
    assert tier["type"] == "radio_buttons" and tier["initial_option"]["value"] == "primary"
    days = block(view, ids.ROTATION_DAYS_BLOCK)["element"]
    assert [o["value"] for o in days["options"]] == ["mon", "tue", "wed", "thu", "fri", "sat",
                                                     "sun"]


def test_zone_list_is_curated_grouped_and_includes_the_teams_zones():
    assert 80 <= len(COMMON_ZONES) <= 100
    assert len(set(COMMON_ZONES)) == len(COMMON_ZONES)
    assert all(timezones.is_valid_zone(z) for z in COMMON_ZONES)
    view = check_modal(rotation_modal(TEAM, ODD_ZONE, list(COMMON_ZONES)))
    offered = zone_values(view)
    assert "America/Argentina/Cordoba" in offered  # the rotation's own zone, preselected
    assert block(view, ids.ROTATION_TIMEZONE_BLOCK)["element"]["initial_option"]["value"] == \
        "America/Argentina/Cordoba"
    assert "Asia/Macau" in offered  # a specialist's zone
    labels = [g["label"]["text"] for g in
              block(view, ids.ROTATION_TIMEZONE_BLOCK)["element"]["option_groups"]]
    assert labels[:3] == ["UTC", "Americas", "Europe"] and "Asia" in labels


def test_zone_list_stays_within_slack_limits_with_many_zones():
    many = timezones.all_zones() + ["Not/AZone", ""]
    view = check_modal(rotation_modal(TEAM, OVERNIGHT, many))
    assert "Not/AZone" not in zone_values(view)
    assert "Europe/Dublin" in zone_values(view)


def test_create_modal_has_a_name_and_defaults():
    view = check_modal(rotation_modal(TEAM, None, []))
    assert rotation_modal_metadata(view["private_metadata"]) == ("modal-desk", None)
    assert block(view, ids.ROTATION_NAME_BLOCK)["element"]["type"] == "plain_text_input"
    assert view["submit"]["text"] == "Create"
    assert "initial_option" not in block(view, ids.ROTATION_TIMEZONE_BLOCK)["element"]
    assert block(view, ids.ROTATION_HANDOFF_BLOCK)["element"]["initial_option"]["value"] == \
        "weekly"
    assert len(block(view, ids.ROTATION_DAYS_BLOCK)["element"]["initial_options"]) == 7
    assert set(zone_values(view)) >= set(COMMON_ZONES)

    values = submitted(view)
    values[ids.ROTATION_NAME_BLOCK][ids.ROTATION_NAME_ACTION]["value"] = "apac-night"
    values[ids.ROTATION_TIMEZONE_BLOCK][ids.ROTATION_TIMEZONE_ACTION]["selected_option"] = {
        "text": {"type": "plain_text", "text": "Asia/Tokyo"}, "value": "Asia/Tokyo"}
    values[ids.ROTATION_SHIFT_START_BLOCK][ids.ROTATION_SHIFT_START_ACTION][
        "selected_time"] = "22:00"
    values[ids.ROTATION_SHIFT_END_BLOCK][ids.ROTATION_SHIFT_END_ACTION]["selected_time"] = "06:00"
    values[ids.ROTATION_START_BLOCK][ids.ROTATION_START_ACTION]["selected_date"] = "2026-04-06"
    values[ids.ROTATION_MEMBERS_BLOCK][ids.ROTATION_MEMBERS_ACTION]["selected_users"] = [A, B, A]
    fields, errors = parse_rotation_submission(values)
    assert errors == {}
    assert fields == {
        "name": "apac-night", "timezone": "Asia/Tokyo", "shift": "22:00-06:00",
        "days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], "handoff": "weekly",
        "start": "2026-04-06", "tier": "primary", "members": [A, B],
    }


def test_names_and_text_are_escaped_and_metadata_is_json():
    team = replace(TEAM, name="a&b<c>")
    view = check_modal(rotation_modal(team, OVERNIGHT, []))
    assert "a&amp;b&lt;c&gt;" in view["blocks"][0]["text"]["text"]
    assert json.loads(view["private_metadata"]) == {"team": "a&b<c>",
                                                    "rotation": "ar-fr-overnight"}
    assert rotation_modal_metadata("not json") == (None, None)
    assert rotation_modal_metadata(None) == (None, None)


# --- field errors ------------------------------------------------------------------------


def valid_values() -> dict[str, Any]:
    return submitted(rotation_modal(TEAM, OVERNIGHT, []))


def setv(values: dict[str, Any], block_id: str, key: str, value: Any) -> dict[str, Any]:
    [action] = values[block_id]
    values[block_id][action][key] = value
    return values


def errors_for(values: dict[str, Any], **kw: Any) -> dict[str, str]:
    fields, errors = parse_rotation_submission(values, **kw)
    for block_id in errors:  # a field in error is not in the result
        assert block_id.startswith("rotation_")
        assert 0 < len(errors[block_id]) <= 150
    return errors


def test_valid_values_have_no_errors():
    assert errors_for(valid_values(), name="ar-fr-overnight") == {}


@pytest.mark.parametrize("raw, ok", [
    (None, False), ("", False), ("   ", False), ("bad name", False), ("-dash-first", False),
    ("x" * 65, False), ("emea-2", True), ("night.backup_1", True),
])
def test_name(raw, ok):
    values = valid_values()
    values[ids.ROTATION_NAME_BLOCK] = {ids.ROTATION_NAME_ACTION: {"type": "plain_text_input",
                                                                  "value": raw}}
    errors = errors_for(values)
    assert (ids.ROTATION_NAME_BLOCK not in errors) == ok


def test_missing_name_block_on_create_is_an_error():
    assert ids.ROTATION_NAME_BLOCK in errors_for(valid_values())  # no name= and no block


@pytest.mark.parametrize("option, ok", [
    (None, False), ({"value": ""}, False), ({"value": "Mars/Olympus_Mons"}, False),
    ({"value": "Europe/Lisbon"}, True),
])
def test_timezone(option, ok):
    values = setv(valid_values(), ids.ROTATION_TIMEZONE_BLOCK, "selected_option", option)
    errors = errors_for(values, name="x")
    assert (ids.ROTATION_TIMEZONE_BLOCK not in errors) == ok


@pytest.mark.parametrize("block_id", [ids.ROTATION_SHIFT_START_BLOCK, ids.ROTATION_SHIFT_END_BLOCK])
@pytest.mark.parametrize("raw, ok", [(None, False), ("", False), ("25:00", False),
                                     ("7:00", False), ("07:60", False), ("00:00", True)])
def test_shift_times(block_id, raw, ok):
    values = setv(valid_values(), block_id, "selected_time", raw)
    errors = errors_for(values, name="x")
    assert (block_id not in errors) == ok
    other = ({ids.ROTATION_SHIFT_START_BLOCK, ids.ROTATION_SHIFT_END_BLOCK} - {block_id}).pop()
    assert other not in errors


def test_end_equal_to_start_is_a_24_hour_shift():
    values = setv(valid_values(), ids.ROTATION_SHIFT_END_BLOCK, "selected_time", "23:00")
    fields, errors = parse_rotation_submission(values, name="x")
    assert errors == {} and fields["shift"] == "23:00-23:00"


def test_no_days_is_an_error():
    values = setv(valid_values(), ids.ROTATION_DAYS_BLOCK, "selected_options", [])
    assert ids.ROTATION_DAYS_BLOCK in errors_for(values, name="x")
    values = setv(valid_values(), ids.ROTATION_DAYS_BLOCK, "selected_options", None)
    assert ids.ROTATION_DAYS_BLOCK in errors_for(values, name="x")


def test_days_come_back_in_week_order():
    opts = [{"value": v} for v in ("sun", "wed", "mon")]
    fields, _ = parse_rotation_submission(
        setv(valid_values(), ids.ROTATION_DAYS_BLOCK, "selected_options", opts), name="x")
    assert fields["days"] == ["mon", "wed", "sun"]


@pytest.mark.parametrize("raw, expected", [
    ("3", "3d"), (" 14 ", "14d"), ("1", "daily"), ("7", "weekly"),
    (None, None), ("", None), ("0", None), ("-2", None), ("abc", None), ("2.5", None),
    ("366", None),
])
def test_every_n_days(raw, expected):
    values = setv(valid_values(), ids.ROTATION_HANDOFF_DAYS_BLOCK, "value", raw)
    fields, errors = parse_rotation_submission(values, name="x")
    if expected is None:
        assert set(errors) == {ids.ROTATION_HANDOFF_DAYS_BLOCK}
        assert "handoff" not in fields
    else:
        assert errors == {} and fields["handoff"] == expected


@pytest.mark.parametrize("choice", ["daily", "weekly"])
def test_n_is_ignored_unless_every(choice):
    values = valid_values()
    setv(values, ids.ROTATION_HANDOFF_BLOCK, "selected_option", {"value": choice})
    setv(values, ids.ROTATION_HANDOFF_DAYS_BLOCK, "value", "not a number")
    fields, errors = parse_rotation_submission(values, name="x")
    assert errors == {} and fields["handoff"] == choice


def test_missing_handoff_is_an_error():
    values = setv(valid_values(), ids.ROTATION_HANDOFF_BLOCK, "selected_option", None)
    assert set(errors_for(values, name="x")) == {ids.ROTATION_HANDOFF_BLOCK}


@pytest.mark.parametrize("raw", [None, "", "2026-02-30", "tomorrow"])
def test_start_date_errors(raw):
    values = setv(valid_values(), ids.ROTATION_START_BLOCK, "selected_date", raw)
    assert set(errors_for(values, name="x")) == {ids.ROTATION_START_BLOCK}


@pytest.mark.parametrize("option", [None, {"value": "tertiary"}])
def test_tier_errors(option):
    values = setv(valid_values(), ids.ROTATION_TIER_BLOCK, "selected_option", option)
    assert set(errors_for(values, name="x")) == {ids.ROTATION_TIER_BLOCK}


@pytest.mark.parametrize("users", [None, [], ["", "  "]])
def test_no_members_is_an_error(users):
    values = setv(valid_values(), ids.ROTATION_MEMBERS_BLOCK, "selected_users", users)
    assert set(errors_for(values, name="x")) == {ids.ROTATION_MEMBERS_BLOCK}


def test_empty_submission_reports_every_required_field():
    errors = errors_for({})
    assert set(errors) == {
        ids.ROTATION_NAME_BLOCK, ids.ROTATION_TIMEZONE_BLOCK, ids.ROTATION_SHIFT_START_BLOCK,
        ids.ROTATION_SHIFT_END_BLOCK, ids.ROTATION_DAYS_BLOCK, ids.ROTATION_HANDOFF_BLOCK,
        ids.ROTATION_START_BLOCK, ids.ROTATION_TIER_BLOCK, ids.ROTATION_MEMBERS_BLOCK,
    }
