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
from collections.abc import Iterable
from datetime import date
from typing import Any

from bot.core import parsers, timezones
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
        _put(fields, errors, "name", ids.ROTATION_NAME_BLOCK, _name_field(values))
    else:
        fields["name"] = name
    _put(fields, errors, "timezone", ids.ROTATION_TIMEZONE_BLOCK, _zone_field(values))
    _shift_field(values, fields, errors)
    _put(fields, errors, "days", ids.ROTATION_DAYS_BLOCK, _days_field(values))
    _handoff_field(values, fields, errors)
    _put(fields, errors, "start", ids.ROTATION_START_BLOCK, _start_field(values))
    tier = _selected(_state(values, ids.ROTATION_TIER_BLOCK, ids.ROTATION_TIER_ACTION))
    _put(fields, errors, "tier", ids.ROTATION_TIER_BLOCK,
         (tier, None) if tier in TIERS else (None, "Pick primary or secondary."))
    _put(fields, errors, "members", ids.ROTATION_MEMBERS_BLOCK, _members_field(values))
    return fields, errors


# A field's reading: (value, None) or (None, the error to show under its block).
_Reading = tuple[Any, str | None]


def _put(fields: dict[str, Any], errors: dict[str, str], key: str, block: str,
         reading: _Reading) -> None:
    value, error = reading
    if error is not None:
        errors[block] = error
    else:
        fields[key] = value


def _text(values: dict, block: str, action: str, key: str = "value") -> str:
    raw = _state(values, block, action).get(key)
    return raw.strip() if isinstance(raw, str) else ""


def _name_field(values: dict) -> _Reading:
    raw = _text(values, ids.ROTATION_NAME_BLOCK, ids.ROTATION_NAME_ACTION)
    if not raw:
        return None, "Give the rotation a name, e.g. emea-ar-fr."
    if not parsers.NAME.fullmatch(raw):
        return None, ("Use letters, digits, '-', '_' or '.' (64 at most), starting with a "
                      "letter or digit; e.g. emea-ar-fr.")
    return raw, None


def _zone_field(values: dict) -> _Reading:
    zone = _selected(_state(values, ids.ROTATION_TIMEZONE_BLOCK, ids.ROTATION_TIMEZONE_ACTION))
    if not zone:
        return None, "Pick the time zone the shift times are in."
    if not timezones.is_valid_zone(zone):
        return None, f"Unknown time zone {zone}; pick one from the list."
    return zone, None


def _shift_field(values: dict, fields: dict[str, Any], errors: dict[str, str]) -> None:
    times = []
    for block, action, what in (
        (ids.ROTATION_SHIFT_START_BLOCK, ids.ROTATION_SHIFT_START_ACTION, "starts"),
        (ids.ROTATION_SHIFT_END_BLOCK, ids.ROTATION_SHIFT_END_ACTION, "ends"),
    ):
        raw = _text(values, block, action, "selected_time")
        if not raw:
            errors[block] = f"Pick the time the shift {what} (HH:MM, 24-hour)."
            continue
        try:
            parsers.parse_local_time(raw)
        except parsers.ParseError as e:
            errors[block] = e.message
            continue
        times.append(raw)
    if len(times) == 2:  # the same start and end is a 24-hour shift, which is fine
        fields["shift"] = f"{times[0]}-{times[1]}"


def _days_field(values: dict) -> _Reading:
    picked = _state(values, ids.ROTATION_DAYS_BLOCK, ids.ROTATION_DAYS_ACTION)
    chosen = {o.get("value") for o in picked.get("selected_options") or ()
              if isinstance(o, dict)}
    days = [d for d in WEEKDAYS if d in chosen]
    return (days, None) if days else (None, "Tick at least one day a shift starts on.")


def _handoff_field(values: dict, fields: dict[str, Any], errors: dict[str, str]) -> None:
    handoff = _selected(_state(values, ids.ROTATION_HANDOFF_BLOCK, ids.ROTATION_HANDOFF_ACTION))
    if handoff in ("daily", "weekly"):
        fields["handoff"] = handoff
    elif handoff == ids.HANDOFF_EVERY:
        _put(fields, errors, "handoff", ids.ROTATION_HANDOFF_DAYS_BLOCK,
             _every_n_days(values))
    else:
        errors[ids.ROTATION_HANDOFF_BLOCK] = "Pick daily, weekly or every N days."


def _every_n_days(values: dict) -> _Reading:
    raw = _text(values, ids.ROTATION_HANDOFF_DAYS_BLOCK, ids.ROTATION_HANDOFF_DAYS_ACTION)
    n = int(raw) if raw.isascii() and raw.isdigit() else None
    if not raw:
        return None, "Say how many days each turn lasts (a whole number, e.g. 3)."
    if n is None or n < 1:
        return None, f"{raw} is not a positive whole number of days; e.g. 3."
    if n > HANDOFF_DAYS_MAX:
        return None, f"At most {HANDOFF_DAYS_MAX} days per turn."
    return {1: "daily", 7: "weekly"}.get(n, f"{n}d"), None


def _start_field(values: dict) -> _Reading:
    raw = _text(values, ids.ROTATION_START_BLOCK, ids.ROTATION_START_ACTION, "selected_date")
    if not raw:
        return None, "Pick the date the first member's turn starts."
    try:
        return date.fromisoformat(raw).isoformat(), None
    except ValueError:
        return None, f"{raw} is not a date as YYYY-MM-DD."


def _members_field(values: dict) -> _Reading:
    users = _state(values, ids.ROTATION_MEMBERS_BLOCK, ids.ROTATION_MEMBERS_ACTION).get(
        "selected_users") or []
    members: list[str] = []
    for u in users:
        if isinstance(u, str) and u.strip() and u.strip() not in members:
            members.append(u.strip())
    return (members, None) if members else (None, "Add at least one member.")
