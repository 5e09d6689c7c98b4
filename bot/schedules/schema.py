"""The schema of a team file: the fields each mapping allows, the examples shown in
messages, and the YAML tags the reader and the writer use (docs/schedules.md)."""

from __future__ import annotations

from bot.core.model import CATEGORY_FIELDS, ROTATION_FIELDS, SPECIALIST_FIELDS

__all__ = [
    "CATEGORY_EXAMPLES",
    "CATEGORY_FIELDS",
    "CRISIS_FIELDS",
    "ESCALATION_FIELDS",
    "EXAMPLES",
    "OVERRIDE_FIELDS",
    "POLICY_FIELDS",
    "ROTATION_FIELDS",
    "ROUTING_FIELDS",
    "WELLBEING_FIELDS",
    "SPECIALIST_FIELDS",
    "STEP_FIELDS",
    "TEAM_FIELDS",
    "TIME_OFF_FIELDS",
]

TEAM_FIELDS = (
    "team", "languages", "intake_channel", "intake_channels", "escalation_channel", "managers",
    "manager_group", "specialists", "rotations", "overrides", "time_off", "escalation",
    "categories", "default_category", "routing", "oncall_groups", "language_fallbacks",
    "wellbeing", "retention",
    "trends_channel", "trends_every",
    "crisis",
)  # fmt: skip
OVERRIDE_FIELDS = ("rotation", "user", "from", "to")
TIME_OFF_FIELDS = ("user", "from", "to")
ESCALATION_FIELDS = ("default_severity", "policies")
POLICY_FIELDS = ("steps", "repeat", "ack_timeout")
STEP_FIELDS = ("notify", "wait", "via")
ROUTING_FIELDS = ("max_open_per_person",)
WELLBEING_FIELDS = ("exposure_limit", "exposure_window", "checkin")
CRISIS_FIELDS = ("update_every",)

EXAMPLES = {
    "team": "safety-escalations",
    "languages": "[en, es, ar, pt, fr]",
    "intake_channel": "C0INTAKE01",
    "intake_channels": "[C0INTAKE02, C0INTAKE03]",
    "escalation_channel": "C0ESCAL01",
    "id": "U0AR00001",
    "name": "Layla Haddad",
    "timezone": "Asia/Dubai",
    "shift": '"08:00-16:00"',
    "start": "2026-01-05",
    "members": "[U0AR00001, U0ES00002]",
    "rotation": "emea",
    "user": "U0ES00002",
    "from": '"2026-12-24T08:00"',
    "to": '"2026-12-24T16:00"',
    "notify": "language_oncall",
    "steps": "[{notify: language_oncall, wait: 5m}, {notify: channel}]",
    "ack_timeout": "30m",
    "policies": "{sev2: {steps: [{notify: language_oncall, wait: 5m}, {notify: channel}]}}",
    "categories": "[{name: le-emergency, label: Law-enforcement emergency request, "
                  "severity: sev1}]",
    "default_category": "other",
    "routing": "{max_open_per_person: 3}",
    "max_open_per_person": "3",
    "skills": "[le_requests]",
    "oncall_groups": "{ar: S0ONCALLAR, all: S0ONCALL1}",
    "language_fallbacks": '{it: [es, pt], gl: [pt, es], "*": [en]}',
    "wellbeing": "{exposure_limit: 6, exposure_window: 8h, checkin: true}",
    "exposure_limit": "6",
    "exposure_window": "8h",
    "checkin": "true",
    "retention": "30d",
    "trends_channel": "C0TRENDS1",
    "trends_every": "6h",
    "crisis": "{update_every: 30m}",
    "update_every": "30m",
}

# A category's fields share names with other entries' (`name`): their own examples.
CATEGORY_EXAMPLES = {
    "name": "le-emergency",
    "label": "Law-enforcement emergency request",
    "severity": "sev1",
    "policy": "le-emergency",
    "skills": "[le_requests]",
    "due": "30m",
    "sensitive": "true",
    "exposure_weight": "3",
    "verification": "two_person",
    "fields": "[agency, officer, callback_number, case_reference]",
}

# Tags of the nodes the reader checks and the writer builds.
NULL = "tag:yaml.org,2002:null"
STR = "tag:yaml.org,2002:str"
INT = "tag:yaml.org,2002:int"
BOOL = "tag:yaml.org,2002:bool"
TIMESTAMP = "tag:yaml.org,2002:timestamp"
SEQ = "tag:yaml.org,2002:seq"
MAP = "tag:yaml.org,2002:map"
