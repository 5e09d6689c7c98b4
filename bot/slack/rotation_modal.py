"""The rotation modal (`/oncall rotation create` with no arguments, `/oncall rotation edit
<name>`) and the parsing of its submission.

`rotation_modal(team, rotation, zones)` builds the view: a new rotation when `rotation` is
None, otherwise an edit of it (the name is fixed then and travels in `private_metadata`,
with the team name, as JSON: `{"team": ..., "rotation": ...}`; read it back with
`rotation_modal_metadata`).

`parse_rotation_submission(values)` turns `view["state"]["values"]` into the same fields
as a rotation in the schedule YAML (`name`, `timezone`, `shift` "HH:MM-HH:MM", `days`,
`handoff` "daily" | "weekly" | "Nd", `start` ISO date, `tier`, `members`) plus errors keyed
by block_id, ready for `ack(response_action="errors", errors=errors)`. Only what the form
itself can tell is checked here (a missing or malformed value); whether the members are
specialists of the team, or the name is free, is the service's call.

Time zones: `external_select` needs a options-load URL this app does not serve, so the zone
is a `static_select` of a curated list (`COMMON_ZONES`, about 90 IANA names) in option
groups by region, plus the zones the team already uses and the rotation's own zone,
preselected. Slack allows 100 options per group and 100 groups.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from datetime import date
from typing import Any

from bot.core import timezones
from bot.core.model import TIERS, WEEKDAYS, Rotation, Team
from bot.slack import ids
from bot.slack.render.blocks import (
    MODAL_BLOCKS_MAX,
    SELECT_OPTIONS_MAX,
    Blocks,
    modal,
    option,
    plain_text,
    section,
)
from bot.slack.render.mrkdwn import escape

__all__ = [
    "COMMON_ZONES",
    "parse_rotation_submission",
    "rotation_modal",
    "rotation_modal_metadata",
]

COMMON_ZONES: tuple[str, ...] = (
    "UTC",
    # Africa
    "Africa/Abidjan", "Africa/Accra", "Africa/Addis_Ababa", "Africa/Algiers", "Africa/Cairo",
    "Africa/Casablanca", "Africa/Johannesburg", "Africa/Khartoum", "Africa/Kinshasa",
    "Africa/Lagos", "Africa/Nairobi", "Africa/Tunis",
    # Americas
    "America/Anchorage", "America/Los_Angeles", "America/Vancouver", "America/Denver",
    "America/Phoenix", "America/Edmonton", "America/Chicago", "America/Mexico_City",
    "America/Guatemala", "America/New_York", "America/Toronto", "America/Havana",
    "America/Panama", "America/Bogota", "America/Lima", "America/Caracas",
    "America/Halifax", "America/Puerto_Rico", "America/St_Johns", "America/Santiago",
    "America/Argentina/Buenos_Aires", "America/Montevideo", "America/Sao_Paulo",
    # Asia
    "Asia/Jerusalem", "Asia/Beirut", "Asia/Amman", "Asia/Baghdad", "Asia/Riyadh",
    "Asia/Qatar", "Asia/Tehran", "Asia/Dubai", "Asia/Karachi", "Asia/Tashkent",
    "Asia/Kolkata", "Asia/Kathmandu", "Asia/Dhaka", "Asia/Almaty", "Asia/Yangon",
    "Asia/Bangkok", "Asia/Jakarta", "Asia/Ho_Chi_Minh", "Asia/Kuala_Lumpur",
    "Asia/Singapore", "Asia/Manila", "Asia/Hong_Kong", "Asia/Shanghai", "Asia/Taipei",
    "Asia/Seoul", "Asia/Tokyo",
    # Atlantic
    "Atlantic/Azores", "Atlantic/Canary", "Atlantic/Reykjavik",
    # Australia and the Pacific
    "Australia/Perth", "Australia/Darwin", "Australia/Adelaide", "Australia/Brisbane",
    "Australia/Sydney", "Australia/Melbourne", "Pacific/Guam", "Pacific/Auckland",
    "Pacific/Fiji", "Pacific/Honolulu",
    # Europe
    "Europe/London", "Europe/Dublin", "Europe/Lisbon", "Europe/Madrid", "Europe/Paris",
    "Europe/Brussels", "Europe/Amsterdam", "Europe/Berlin", "Europe/Zurich", "Europe/Rome",
    "Europe/Vienna", "Europe/Stockholm", "Europe/Warsaw", "Europe/Prague", "Europe/Budapest",
    "Europe/Athens", "Europe/Bucharest", "Europe/Helsinki", "Europe/Kyiv", "Europe/Istanbul",
    "Europe/Moscow",
    # Indian Ocean
    "Indian/Maldives", "Indian/Mauritius",
)

_REGIONS = (  # (label, zone prefixes), in the order the groups are shown
    ("UTC", ("UTC", "Etc")),
    ("Americas", ("America",)),
    ("Europe", ("Europe",)),
    ("Africa", ("Africa",)),
    ("Asia", ("Asia",)),
    ("Australia and Pacific", ("Australia", "Pacific")),
    ("Atlantic", ("Atlantic",)),
    ("Indian Ocean", ("Indian",)),
    ("Other", ()),
)
_DAY_LABELS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_HANDOFFS = (("daily", "Daily"), ("weekly", "Weekly"), (ids.HANDOFF_EVERY, "Every N days"))
_TIER_HELP = {"primary": "Paged first", "secondary": "Paged after the primary tier"}
HANDOFF_DAYS_MAX = 365

# Same rule as a rotation name in the schedule YAML (bot/schedules/yaml_io.py).
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
_TIME = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9])")


# --- building ------------------------------------------------------------------------


def _region(zone: str) -> str:
    head = zone.split("/", 1)[0]
    for label, prefixes in _REGIONS:
        if head in prefixes:
            return label
    return "Other"


def _zone_select(team: Team, rotation: Rotation | None, zones: Iterable[str]
                 ) -> dict[str, Any]:
    current = rotation.timezone if rotation is not None else None
    wanted: list[str] = []
    if current:
        wanted.append(current)
    wanted += [r.timezone for r in team.rotations]
    wanted += [s.timezone for s in team.specialists]
    wanted += list(zones) or list(COMMON_ZONES)
    groups: dict[str, list[dict[str, Any]]] = {label: [] for label, _ in _REGIONS}
    seen: set[str] = set()
    for zone in wanted:
        if not zone or zone in seen or len(zone) > 150 or not timezones.is_valid_zone(zone):
            continue
        seen.add(zone)
        bucket = groups[_region(zone)]
        if len(bucket) < SELECT_OPTIONS_MAX:  # the current zone came first, so it stays
            bucket.append(option(zone, zone))
    order = {zone: i for i, zone in enumerate(COMMON_ZONES)}
    option_groups = []
    initial = None
    for label, _ in _REGIONS:
        options = sorted(groups[label], key=lambda o: (order.get(o["value"], 10_000),
                                                       o["value"]))
        if not options:
            continue
        option_groups.append({"label": plain_text(label, 75), "options": options})
        for opt in options:
            if opt["value"] == current:
                initial = opt
    element: dict[str, Any] = {
        "type": "static_select",
        "action_id": ids.ROTATION_TIMEZONE_ACTION,
        "placeholder": plain_text("Pick the zone the shift times are in", 150),
        "option_groups": option_groups[:100],
    }
    if initial is not None:
        element["initial_option"] = initial
    return element


def _input(block_id: str, label: str, element: dict[str, Any], hint: str | None = None,
           optional: bool = False) -> dict[str, Any]:
    block: dict[str, Any] = {"type": "input", "block_id": block_id,
                             "label": plain_text(label, 2000),
                             "element": element, "optional": optional}
    if hint:
        block["hint"] = plain_text(hint, 2000)
    return block


def _timepicker(action_id: str, value: str | None, placeholder: str) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "timepicker", "action_id": action_id,
                               "placeholder": plain_text(placeholder, 150)}
    if value:
        element["initial_time"] = value
    return element


def rotation_modal(team: Team, rotation: Rotation | None, zones: list[str]) -> dict[str, Any]:
    """Create (`rotation` None) or edit `rotation` of `team`. `zones`: the IANA zones to
    offer (empty: `COMMON_ZONES`); the team's zones and the rotation's are always added."""
    editing = rotation is not None
    team_name = escape(team.name)
    blocks: Blocks = []
    if editing:
        blocks.append(section(
            f"Editing rotation *{escape(rotation.name)}* of *{team_name}*. The change is "
            "audited, and people whose shifts move are told."))
    else:
        blocks.append(section(f"A new rotation for *{team_name}*."))
        blocks.append(_input(
            ids.ROTATION_NAME_BLOCK, "Name",
            {"type": "plain_text_input", "action_id": ids.ROTATION_NAME_ACTION,
             "max_length": 64, "placeholder": plain_text("e.g. emea-ar-fr", 150)},
            "Letters, digits, '-', '_' and '.'; it is how commands name the rotation."))

    blocks.append(_input(ids.ROTATION_TIMEZONE_BLOCK, "Time zone",
                         _zone_select(team, rotation, zones),
                         "Shift times are wall-clock times in this zone, DST included."))
    blocks.append(_input(
        ids.ROTATION_SHIFT_START_BLOCK, "Shift starts",
        _timepicker(ids.ROTATION_SHIFT_START_ACTION,
                    f"{rotation.shift_start:%H:%M}" if editing else None, "Start")))
    blocks.append(_input(
        ids.ROTATION_SHIFT_END_BLOCK, "Shift ends",
        _timepicker(ids.ROTATION_SHIFT_END_ACTION,
                    f"{rotation.shift_end:%H:%M}" if editing else None, "End"),
        "Earlier than the start: the shift ends the next day. The same as the start: "
        "a 24-hour shift."))

    day_options = [option(label, code) for code, label in zip(WEEKDAYS, _DAY_LABELS,
                                                              strict=True)]
    days: dict[str, Any] = {"type": "checkboxes", "action_id": ids.ROTATION_DAYS_ACTION,
                            "options": day_options}
    chosen = (sorted(rotation.days) if editing else range(7))
    initial_days = [day_options[i] for i in chosen if 0 <= i < 7]
    if initial_days:
        days["initial_options"] = initial_days
    blocks.append(_input(ids.ROTATION_DAYS_BLOCK, "Days a shift starts on", days))

    handoff_options = [option(label, value) for value, label in _HANDOFFS]
    current = rotation.handoff_label if editing else "weekly"
    every = current not in ("daily", "weekly")
    handoff = {
        "type": "static_select",
        "action_id": ids.ROTATION_HANDOFF_ACTION,
        "options": handoff_options,
        "initial_option": handoff_options[2 if every else (0 if current == "daily" else 1)],
    }
    blocks.append(_input(ids.ROTATION_HANDOFF_BLOCK, "Hand-off", handoff,
                         "How long each member's turn lasts."))
    number: dict[str, Any] = {
        "type": "number_input",
        "action_id": ids.ROTATION_HANDOFF_DAYS_ACTION,
        "is_decimal_allowed": False,
        "min_value": "1",
        "max_value": str(HANDOFF_DAYS_MAX),
        "placeholder": plain_text("e.g. 3", 150),
    }
    if editing and every:
        number["initial_value"] = str(rotation.handoff_days)
    blocks.append(_input(ids.ROTATION_HANDOFF_DAYS_BLOCK, "N (for every N days)", number,
                         "Only used with \u201cEvery N days\u201d.", optional=True))

    start: dict[str, Any] = {"type": "datepicker", "action_id": ids.ROTATION_START_ACTION,
                             "placeholder": plain_text("First day of the first member's turn", 150)}
    if editing:
        start["initial_date"] = rotation.start.isoformat()
    blocks.append(_input(ids.ROTATION_START_BLOCK, "Start date", start,
                         "The first member's turn starts on this date; the others follow "
                         "in order."))

    tier_options = [option(t.capitalize(), t, _TIER_HELP.get(t)) for t in TIERS]
    tier_value = rotation.tier if editing else "primary"
    tier: dict[str, Any] = {"type": "radio_buttons", "action_id": ids.ROTATION_TIER_ACTION,
                            "options": tier_options}
    for opt in tier_options:
        if opt["value"] == tier_value:
            tier["initial_option"] = opt
    blocks.append(_input(ids.ROTATION_TIER_BLOCK, "Tier", tier))

    members: dict[str, Any] = {"type": "multi_users_select",
                               "action_id": ids.ROTATION_MEMBERS_ACTION,
                               "placeholder": plain_text("Specialists, in rotation order", 150)}
    if editing and rotation.members:
        members["initial_users"] = list(rotation.members)
    blocks.append(_input(ids.ROTATION_MEMBERS_BLOCK, "Members", members,
                         "In rotation order. To reorder later: /oncall rotation move "
                         "<name> @user <position>."))

    metadata = json.dumps({"team": team.name, "rotation": rotation.name if editing else None},
                          separators=(",", ":"))
    title = "Edit rotation" if editing else "New rotation"
    return modal(ids.ROTATION_MODAL, title, blocks[:MODAL_BLOCKS_MAX],
                 submit="Save" if editing else "Create", private_metadata=metadata)


def rotation_modal_metadata(private_metadata: str | None) -> tuple[str | None, str | None]:
    """(team name, rotation name being edited or None) from the view's private_metadata."""
    try:
        doc = json.loads(private_metadata or "{}")
    except json.JSONDecodeError:
        return None, None
    if not isinstance(doc, dict):
        return None, None
    team, rot = doc.get("team"), doc.get("rotation")
    return (team if isinstance(team, str) else None, rot if isinstance(rot, str) else None)


# --- parsing -------------------------------------------------------------------------


def _state(values: dict, block: str, action: str) -> dict[str, Any]:
    state = ((values or {}).get(block) or {}).get(action)
    return state if isinstance(state, dict) else {}


def _selected(state: dict[str, Any]) -> str | None:
    opt = state.get("selected_option")
    value = opt.get("value") if isinstance(opt, dict) else None
    return value.strip() if isinstance(value, str) and value.strip() else None


def parse_rotation_submission(values: dict, *, name: str | None = None
                              ) -> tuple[dict[str, Any], dict[str, str]]:
    """`view["state"]["values"]` -> (fields as in the YAML, errors by block_id).
    `name`: the rotation's name when editing (there is no name field then)."""
    fields: dict[str, Any] = {}
    errors: dict[str, str] = {}

    if ids.ROTATION_NAME_BLOCK in (values or {}) or name is None:
        raw = _state(values, ids.ROTATION_NAME_BLOCK, ids.ROTATION_NAME_ACTION).get("value")
        raw = raw.strip() if isinstance(raw, str) else ""
        if not raw:
            errors[ids.ROTATION_NAME_BLOCK] = "Give the rotation a name, e.g. emea-ar-fr."
        elif not _NAME.fullmatch(raw):
            errors[ids.ROTATION_NAME_BLOCK] = (
                "Use letters, digits, '-', '_' or '.' (64 at most), starting with a letter "
                "or digit; e.g. emea-ar-fr.")
        else:
            fields["name"] = raw
    else:
        fields["name"] = name

    zone = _selected(_state(values, ids.ROTATION_TIMEZONE_BLOCK, ids.ROTATION_TIMEZONE_ACTION))
    if not zone:
        errors[ids.ROTATION_TIMEZONE_BLOCK] = "Pick the time zone the shift times are in."
    elif not timezones.is_valid_zone(zone):
        errors[ids.ROTATION_TIMEZONE_BLOCK] = f"Unknown time zone {zone}; pick one from the list."
    else:
        fields["timezone"] = zone

    times = []
    for block, action, what in (
        (ids.ROTATION_SHIFT_START_BLOCK, ids.ROTATION_SHIFT_START_ACTION, "starts"),
        (ids.ROTATION_SHIFT_END_BLOCK, ids.ROTATION_SHIFT_END_ACTION, "ends"),
    ):
        raw = _state(values, block, action).get("selected_time")
        raw = raw.strip() if isinstance(raw, str) else ""
        if not raw:
            errors[block] = f"Pick the time the shift {what} (HH:MM, 24-hour)."
        elif not _TIME.fullmatch(raw):
            errors[block] = f"{raw} is not a time of day as HH:MM (24-hour)."
        else:
            times.append(raw)
    if len(times) == 2:  # the same start and end is a 24-hour shift, which is fine
        fields["shift"] = f"{times[0]}-{times[1]}"

    picked = _state(values, ids.ROTATION_DAYS_BLOCK, ids.ROTATION_DAYS_ACTION)
    chosen = {o.get("value") for o in picked.get("selected_options") or ()
              if isinstance(o, dict)}
    days = [d for d in WEEKDAYS if d in chosen]
    if not days:
        errors[ids.ROTATION_DAYS_BLOCK] = "Tick at least one day a shift starts on."
    else:
        fields["days"] = days

    handoff = _selected(_state(values, ids.ROTATION_HANDOFF_BLOCK, ids.ROTATION_HANDOFF_ACTION))
    if handoff in ("daily", "weekly"):
        fields["handoff"] = handoff
    elif handoff == ids.HANDOFF_EVERY:
        raw = _state(values, ids.ROTATION_HANDOFF_DAYS_BLOCK,
                     ids.ROTATION_HANDOFF_DAYS_ACTION).get("value")
        raw = raw.strip() if isinstance(raw, str) else ""
        n = int(raw) if raw.isascii() and raw.isdigit() else None
        if not raw:
            errors[ids.ROTATION_HANDOFF_DAYS_BLOCK] = (
                "Say how many days each turn lasts (a whole number, e.g. 3).")
        elif n is None or n < 1:
            errors[ids.ROTATION_HANDOFF_DAYS_BLOCK] = (
                f"{raw} is not a positive whole number of days; e.g. 3.")
        elif n > HANDOFF_DAYS_MAX:
            errors[ids.ROTATION_HANDOFF_DAYS_BLOCK] = (
                f"At most {HANDOFF_DAYS_MAX} days per turn.")
        else:
            fields["handoff"] = {1: "daily", 7: "weekly"}.get(n, f"{n}d")
    else:
        errors[ids.ROTATION_HANDOFF_BLOCK] = "Pick daily, weekly or every N days."

    raw = _state(values, ids.ROTATION_START_BLOCK, ids.ROTATION_START_ACTION).get(
        "selected_date")
    raw = raw.strip() if isinstance(raw, str) else ""
    if not raw:
        errors[ids.ROTATION_START_BLOCK] = "Pick the date the first member's turn starts."
    else:
        try:
            fields["start"] = date.fromisoformat(raw).isoformat()
        except ValueError:
            errors[ids.ROTATION_START_BLOCK] = f"{raw} is not a date as YYYY-MM-DD."

    tier = _selected(_state(values, ids.ROTATION_TIER_BLOCK, ids.ROTATION_TIER_ACTION))
    if tier in TIERS:
        fields["tier"] = tier
    else:
        errors[ids.ROTATION_TIER_BLOCK] = "Pick primary or secondary."

    users = _state(values, ids.ROTATION_MEMBERS_BLOCK, ids.ROTATION_MEMBERS_ACTION).get(
        "selected_users") or []
    members: list[str] = []
    for u in users:
        if isinstance(u, str) and u.strip() and u.strip() not in members:
            members.append(u.strip())
    if not members:
        errors[ids.ROTATION_MEMBERS_BLOCK] = "Add at least one member."
    else:
        fields["members"] = members

    return fields, errors
