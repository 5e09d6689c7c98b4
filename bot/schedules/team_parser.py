"""Reading a whole team file: the top-level fields and the escalation policies, on top of
the entry and field readers. `TeamParser(filename).team(root)` returns the Team, or None
with every problem in `.problems`.

Two passes: the values and the file's shape first (each field's syntax, unknown and
missing fields); then, once every value has been read, the team rules of
`bot.core.checks`, each problem reported at the YAML node its path leads to. The rules
wait for the values because a rule over a half-read team misleads: a specialist whose
zone is misspelled would make every rotation naming them an 'unknown member'."""

from __future__ import annotations

import re
from datetime import timedelta

from yaml.nodes import MappingNode, Node, ScalarNode

from bot.core import checks, contacts, parsers
from bot.core.check_base import did_you_mean
from bot.core.model import (
    ALL_ON_CALL,
    ANY_LANGUAGE,
    CHANNELS,
    DEFAULT_MAX_OPEN,
    DEFAULT_RETENTION,
    DEFAULT_VIA,
    SEVERITIES,
    Category,
    EscalationPolicy,
    EscalationStep,
    Team,
    Wellbeing,
)
from bot.schedules.entries import EntryReader
from bot.schedules.problems import Problem, field_of, line_of, node_at
from bot.schedules.schema import (
    CATEGORY_EXAMPLES,
    CATEGORY_FIELDS,
    CRISIS_FIELDS,
    ESCALATION_FIELDS,
    EXAMPLES,
    POLICY_FIELDS,
    ROUTING_FIELDS,
    STEP_FIELDS,
    TEAM_FIELDS,
    WELLBEING_FIELDS,
)

__all__ = ["TeamParser"]

Policies = tuple[tuple[str, EscalationPolicy], ...]
MIN_TRENDS_EVERY = timedelta(hours=1)  # a digest more often than this is noise


class TeamParser(EntryReader):
    """A whole team file: values and shape, then the team rules at their lines. What the
    rules allow but probably do not mean is in `.warnings` (located the same way)."""

    def __init__(self, filename: str):
        super().__init__(filename)
        self.warnings: list[Problem] = []

    def team(self, root: Node | None) -> Team | None:
        if root is None:
            self.err(
                None,
                "",
                "the file is empty; a team file starts with `team: <name>` (see docs/schedules.md)",
            )
            return None
        f = self.fields(
            root,
            "",
            TEAM_FIELDS,
            ("team", "languages", "intake_channel", "escalation_channel"),
            "a team file",
        )
        team = None if f is None else self.values(f)
        if team is None or self.problems:
            return None
        for p in checks.problems(team):
            message = p.message
            if p.first is not None:
                message += f" (first on line {line_of(node_at(root, p.first))})"
            self.err(node_at(root, p.where), field_of(p.where), message)
        if self.problems:
            return None
        self.warnings = [Problem(self.file, line_of(node_at(root, w.where)), field_of(w.where),
                                 w.message) for w in checks.warnings(team)]
        return team

    def values(self, f: dict[str, tuple[Node, Node]]) -> Team | None:
        """The team as written, or None when a value does not read (reported)."""

        def get(key: str, reader, default=None):
            return self.read(f, "", key, reader, default)

        name = get("team", lambda n, p: self.name(n, p, "team name", "safety-escalations"))
        languages = get(
            "languages",
            lambda n, p: self.language_list(
                n, p, iso=True, allow_empty=False, example="[en, es, ar]"
            ),
        )
        intake = get("intake_channel", self.channel_id)
        intake_more = get("intake_channels", self.channel_list, ())
        escal = get("escalation_channel", self.channel_id)
        managers = get("managers", self.managers, ())
        group = get("manager_group", lambda n, p: None if self.optional(n) else self.group_id(n, p))
        specialists = get("specialists", self.specialists, ())
        rotations = get("rotations", self.rotations, ())
        overrides = get("overrides", self.overrides, ())
        time_off = get("time_off", self.time_off, ())
        escalation = get("escalation", self.escalation, ("sev2", ()))
        categories = get("categories", self.categories, ())
        default_category = get(
            "default_category",
            lambda n, p: None if self.optional(n) else self.scalar(n, p, "other"))
        max_open = get("routing", self.routing, DEFAULT_MAX_OPEN)
        groups = get("oncall_groups", self.oncall_groups, ())
        fallbacks = get("language_fallbacks", self.language_fallbacks, ())
        wellbeing = get("wellbeing", self.wellbeing, Wellbeing())
        retention = get("retention", lambda n, p: self.period(n, p, EXAMPLES["retention"]),
                        DEFAULT_RETENTION)
        crisis_every = get("crisis", self.crisis, Team.crisis_update_every)
        if crisis_every is None:
            return None
        if None in (name, languages, intake, intake_more, escal, managers, escalation,
                    categories, max_open, groups, fallbacks, wellbeing, retention):
            return None
        trends = self.trends(f)
        if trends is None:
            return None
        return Team(
            name=name,
            languages=languages,
            intake_channel=intake,
            intake_channels=intake_more,
            escalation_channel=escal,
            managers=managers,
            manager_group=group,
            specialists=specialists,
            rotations=rotations,
            overrides=overrides,
            time_off=time_off,
            default_severity=escalation[0],
            policies=escalation[1],
            categories=categories,
            default_category=default_category,
            max_open_per_person=max_open,
            oncall_groups=groups,
            language_fallbacks=fallbacks,
            wellbeing=wellbeing,
            retention=retention,
            **trends,
            crisis_update_every=crisis_every,
        )

    def trends(self, f: dict[str, tuple[Node, Node]]) -> dict | None:
        """`trends_channel` (a channel id; empty: no scheduled digest) and `trends_every`
        (a duration of at least an hour); a missing key is its default."""
        channel = self.read(f, "", "trends_channel", lambda n, p: None if self.optional(n)
                            else self.channel_id(n, p), None)
        every = self.read(f, "", "trends_every", self.trends_period, Team.trends_every)
        if every is None or ("trends_channel" in f and channel is None
                             and not self.optional(f["trends_channel"][1])):
            return None
        return {"trends_channel": channel, "trends_every": every}

    def trends_period(self, node: Node, path: str) -> timedelta | None:
        every = self.period(node, path, EXAMPLES["trends_every"])
        if every is not None and every < MIN_TRENDS_EVERY:
            self.err(node, path, f"'{node.value}' is too often for a digest; use at least "
                                 "1h, e.g. trends_every: 6h")
            return None
        if every is not None and every % MIN_TRENDS_EVERY:
            self.err(node, path, f"'{node.value}' is not a whole number of hours; a digest "
                                 "covers whole hours, e.g. trends_every: 6h or 1d")
            return None
        return every

    def channel_list(self, node: Node, path: str) -> tuple[str, ...] | None:
        """`intake_channels`: more channel ids; empty or absent means none."""
        items = self.seq(node, path, "[C0INTAKE02, C0INTAKE03]")
        if items is None:
            return None
        found = [self.channel_id(n, f"{path}[{i}]") for i, n in enumerate(items)]
        return None if None in found else tuple(found)

    def managers(self, node: Node, path: str) -> tuple[str, ...] | None:
        items = self.seq(node, path, "[U0MGR0001]")
        if items is None:
            return None
        ids = [self.user_id(n, f"{path}[{i}]") for i, n in enumerate(items)]
        return None if None in ids else tuple(ids)

    def oncall_groups(self, node: Node, path: str) -> tuple[tuple[str, str], ...] | None:
        """`oncall_groups`: language code (or `all`) -> Slack user group id, in the
        file's order; an empty value means none. Whether the team serves each language,
        and one group per key, are team rules (core.checks)."""
        example = EXAMPLES["oncall_groups"]
        if self.optional(node):
            return ()
        if not isinstance(node, MappingNode):
            self.err(node, path, "must map a language code (or `all`) to a Slack user "
                                 f"group ID, e.g. oncall_groups: {example}")
            return None
        out: dict[str, tuple[Node, str | None]] = {}
        for key_node, value in node.value:
            key = key_node.value if isinstance(key_node, ScalarNode) else None
            sub = f"{path}.{key}"
            if key is None or key == "<<" or not key.strip():
                self.err(key_node, path, "each key must be one language code or `all`, "
                                         f"e.g. oncall_groups: {example}")
                continue
            if key in out:
                self.err(key_node, sub, f"'{key}' is listed twice (first on line "
                                        f"{line_of(out[key][0])}); give each language one "
                                        "group")
                continue
            if key != ALL_ON_CALL and not parsers.is_language(key):
                self.err(key_node, sub, _not_a_group_key(key))
                out[key] = (key_node, None)
                continue
            out[key] = (key_node, self.group_id(value, sub))
        if any(group is None for _, group in out.values()) or len(out) < len(node.value):
            return None
        return tuple((key, group) for key, (_, group) in out.items())

    # categories and routing -----------------------------------------------------------------

    def categories(self, node: Node, path: str) -> tuple[Category, ...] | None:
        """The categories in the file's order; an empty value means none."""
        items = self.seq(node, path, EXAMPLES["categories"])
        if items is None:
            return None
        out = [self.category(item, f"{path}[{i}]") for i, item in enumerate(items)]
        return None if None in out else tuple(out)

    def category(self, node: Node, path: str) -> Category | None:
        f = self.fields(node, path, CATEGORY_FIELDS, ("name", "label"), "a category",
                        CATEGORY_EXAMPLES)
        if f is None:
            return None

        def get(key: str, reader, default=None):
            if key in f and self.optional(f[key][1]) and key not in ("name", "label"):
                return default  # `policy:` left empty: not set
            return self.read(f, path, key, reader, default)

        def one(key: str):
            return lambda n, p: self.scalar(n, p, CATEGORY_EXAMPLES[key])

        values = {
            "name": get("name", one("name")),
            "label": get("label", lambda n, p: self.text(n, p, CATEGORY_EXAMPLES["label"])),
            "severity": get("severity", one("severity")),
            "policy": get("policy", one("policy")),
            "skills": get("skills", lambda n, p: self.word_list(n, p, "[le_requests]"), ()),
            "due": get("due", lambda n, p: self.duration(n, p, "30m")),
            "sensitive": get("sensitive", lambda n, p: self.boolean(n, p, "sensitive: true"),
                             False),
            "exposure_weight": get("exposure_weight", lambda n, p: self.whole(
                n, p, "exposure_weight: 3", "how much one request counts toward a reader's "
                "exposure")),
            "verification": get("verification", one("verification")),
            "fields": get("fields", lambda n, p: self.word_list(
                n, p, "[agency, officer, callback_number]"), ()),
        }
        if any(values[k] is None and k in f and not self.optional(f[k][1])
               for k in values) or values["name"] is None or values["label"] is None:
            return None
        return Category(**values)

    def routing(self, node: Node, path: str) -> int | None:
        """`routing: {max_open_per_person: N}`; an empty value means the defaults."""
        if self.optional(node):
            return DEFAULT_MAX_OPEN
        f = self.fields(node, path, ROUTING_FIELDS, (), "routing")
        if f is None:
            return None
        return self.read(f, path, "max_open_per_person", lambda n, p: self.whole(
            n, p, "max_open_per_person: 3", "how many unresolved requests one person holds "
            "before the next free reader is preferred"), DEFAULT_MAX_OPEN)

    def wellbeing(self, node: Node, path: str) -> Wellbeing | None:
        """`wellbeing: {exposure_limit: 6, exposure_window: 8h, checkin: true}`; an empty
        value or a missing key means its default."""
        if self.optional(node):
            return Wellbeing()
        f = self.fields(node, path, WELLBEING_FIELDS, (), "wellbeing")
        if f is None:
            return None
        default = Wellbeing()
        limit = self.read(f, path, "exposure_limit", lambda n, p: self.whole(
            n, p, "exposure_limit: 6", "sensitive-request points one person handles in "
            "exposure_window before routing prefers someone else"), default.exposure_limit)
        window = self.read(f, path, "exposure_window", lambda n, p: self.period(
            n, p, "exposure_window: 8h"), default.exposure_window)
        checkin = self.read(f, path, "checkin", lambda n, p: self.boolean(
            n, p, "checkin: true"), default.checkin)
        if None in (limit, window, checkin):
            return None
        return Wellbeing(exposure_limit=limit, exposure_window=window, checkin=checkin)

    def crisis(self, node: Node, path: str) -> timedelta | None:
        """`crisis: {update_every: 30m}`: how long a crisis channel may go without an
        update before it is reminded; empty or a missing key means 30m."""
        if self.optional(node):
            return Team.crisis_update_every
        f = self.fields(node, path, CRISIS_FIELDS, (), "crisis")
        if f is None:
            return None
        return self.read(f, path, "update_every", lambda n, p: self.duration(
            n, p, "update_every: 30m"), Team.crisis_update_every)

    def period(self, node: Node, path: str, example: str) -> timedelta | None:
        """A duration that may be in days (`retention: 30d`, `exposure_window: 8h`)."""
        w = self.scalar(node, path, example)
        return None if w is None else self.checked(node, path, parsers.parse_period, w)

    def language_fallbacks(self, node: Node, path: str
                           ) -> tuple[tuple[str, tuple[str, ...]], ...] | None:
        """`language_fallbacks: {it: [es, pt], "*": [en]}`: each key an ISO 639-1 code
        or "*", each value a list of codes (which codes, and repeats, are team rules);
        an empty value means none."""
        example = EXAMPLES["language_fallbacks"]
        if self.optional(node):
            return ()
        if not isinstance(node, MappingNode):
            self.err(node, path, f"must be a mapping of language code to the team languages "
                                 f"whose readers take it, e.g. {example}")
            return None
        out: dict[str, tuple[str, ...] | None] = {}
        first: dict[str, Node] = {}
        for key_node, value in node.value:
            key = key_node.value if isinstance(key_node, ScalarNode) else None
            if key is None or key == "<<":
                self.err(key_node, path, "each key is a language code such as it, or \"*\" "
                                         f"for every other language, e.g. {example}")
                continue
            if key in first:
                self.err(key_node, f"{path}.{key}",
                         f"language '{key}' is listed twice (first on line "
                         f"{line_of(first[key])}); give each language once, e.g. {example}")
                continue
            first[key] = key_node
            if key != ANY_LANGUAGE and self.checked(
                    key_node, f"{path}.{key}", parsers.parse_language, key) is None:
                out[key] = None
                continue
            out[key] = self.language_list(value, f"{path}.{key}", iso=True, allow_empty=False,
                                          example="[es, pt]")
        if None in out.values() or len(out) < len(node.value):
            return None
        return tuple((k, v) for k, v in out.items() if v is not None)

    # escalation -----------------------------------------------------------------------------

    def escalation(self, node: Node, path: str) -> tuple[str, Policies] | None:
        """(default severity, policies): the severities' in severity order, then the named
        ones in the file's order; an empty value means none."""
        if self.optional(node):
            return "sev2", ()
        f = self.fields(node, path, ESCALATION_FIELDS, ("policies",), "escalation")
        if f is None:
            return None
        default = self.read(f, path, "default_severity",
                            lambda n, p: self.scalar(n, p, "sev2"), "sev2")  # fmt: skip
        policies = self.read(f, path, "policies", self.policies, {})
        if default is None or policies is None:
            return None
        order = [s for s in SEVERITIES if s in policies]
        order += [name for name in policies if name not in SEVERITIES]
        return default, tuple((name, policies[name]) for name in order)

    def policies(self, node: Node, path: str) -> dict[str, EscalationPolicy] | None:
        """Policies by name: a severity's (sev1..sev3) or any name a category refers to."""
        pf = self.policy_names(node, path)
        if pf is None:
            return None
        if not node.value:
            self.err(
                node,
                path,
                f"needs at least one policy (sev1, sev2 or sev3), e.g. {EXAMPLES['policies']}",
            )
            return None
        out = {sev: self.policy(value, f"{path}.{sev}") for sev, (_, value) in pf.items()}
        return None if None in out.values() else out

    def policy_names(self, node: Node, path: str) -> dict[str, tuple[Node, Node]] | None:
        """The policies mapping's entries by name, in the file's order: a severity (sev1,
        sev2, sev3) or a name (le-emergency); `sev4` is an unknown severity, not a name."""
        allowed = ", ".join(SEVERITIES)
        if not isinstance(node, MappingNode):
            return self.fields(node, path, SEVERITIES, (), "policies")
        names: dict[str, tuple[Node, Node]] = {}
        for key_node, value in node.value:
            key = key_node.value if isinstance(key_node, ScalarNode) else None
            if key is None or key == "<<" or key in names:
                # the generic mapping rules say what is wrong with these keys
                self.fields(MappingNode(node.tag, [*names.values(), (key_node, value)]),
                            path, (*names, *([key] if key else [])), (), "policies")
            elif parsers.SEVERITY_LIKE.fullmatch(key) and key not in SEVERITIES:
                self.err(key_node, f"{path}.{key}",
                         f"unknown field '{key}' in {path}: severities are {allowed}; a "
                         "category's own policy takes another name, e.g. le-emergency")
            elif not parsers.SLUG.fullmatch(key):
                self.err(key_node, f"{path}.{key}",
                         f"policy name '{key}' must be {parsers.SLUG_RULE}: a severity "
                         f"({allowed}) or a name such as le-emergency")
            else:
                names[key] = (key_node, value)
        return names
    def policy(self, node: Node, path: str) -> EscalationPolicy | None:
        f = self.fields(node, path, POLICY_FIELDS, ("steps",), "a policy")
        if f is None:
            return None
        steps = self.read(f, path, "steps", self.steps)
        repeat = self.read(f, path, "repeat", self.repeat, 0)
        # Acknowledged but not resolved: the assignee is reminded after it, and the
        # request re-opens after twice it (services.ack_timeout). Absent: never.
        ack = self.read(f, path, "ack_timeout",
                        lambda n, p: self.duration(n, p, "ack_timeout: 30m"))
        if steps is None or repeat is None or ("ack_timeout" in f and ack is None):
            return None
        return EscalationPolicy(steps, repeat, ack)

    def steps(self, node: Node, path: str) -> tuple[EscalationStep, ...] | None:
        items = self.seq(node, path, EXAMPLES["steps"], allow_empty=False)
        if items is None:
            return None
        steps = [self.step(item, f"{path}[{i}]", i == len(items) - 1)
                 for i, item in enumerate(items)]  # fmt: skip
        return None if None in steps else tuple(steps)

    def step(self, item: Node, path: str, last: bool) -> EscalationStep | None:
        sf = self.fields(item, path, STEP_FIELDS, ("notify",), "a step")
        if sf is None:
            return None
        kind = self.read(sf, path, "notify", lambda n, p: self.scalar(n, p, "language_oncall"))
        via = self.read(sf, path, "via", self.via, DEFAULT_VIA)
        wait = None
        # The last step may leave its wait empty: nothing follows it.
        if "wait" in sf and not (last and self.optional(sf["wait"][1])):
            wait = self.read(sf, path, "wait", self.duration)
            if wait is None:
                return None
        return None if kind is None or via is None else EscalationStep(kind, wait, via)

    def via(self, node: Node, path: str) -> tuple[str, ...] | None:
        """`via: [slack, sms, voice, email]`; Slack is implied (contacts.normal_via) unless
        a name is unknown or repeated, which the team rules report where it is written."""
        words = self.word_list(node, path, "[slack, sms, voice]")
        if words is None:
            return None
        known = all(w in CHANNELS for w in words) and len(set(words)) == len(words)
        return contacts.normal_via(words) if known else words

    def duration(self, node: Node, path: str, example: str = "5m") -> timedelta | None:
        w = self.scalar(node, path, example)
        return None if w is None else self.checked(node, path, parsers.parse_duration, w)

    def repeat(self, node: Node, path: str) -> int | None:
        v = self.scalar(node, path, "repeat: 1")
        if v is not None and re.fullmatch(r"[0-9]+", v.strip()):
            return int(v)
        if v is not None:
            self.err(
                node,
                path,
                f"repeat '{v}' must be a whole number >= 0 (how many more times the "
                "chain runs), e.g. repeat: 2",
            )
        return None


def _not_a_group_key(key: str) -> str:
    """Why an `oncall_groups` key is neither a language code nor `all`."""
    try:
        parsers.parse_language(key)
    except parsers.ParseError as e:
        if e.kind != "unknown":
            return e.message  # 'AR': use 'ar'; 'ara': use 'ar'
    return (f"'{key}' is neither a two-letter ISO 639-1 language code (en, es, ar, ...) "
            f"nor `{ALL_ON_CALL}` (everyone on call)" + did_you_mean(key, [ALL_ON_CALL]))
