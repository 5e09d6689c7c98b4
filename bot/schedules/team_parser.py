"""Reading a whole team file: the top-level fields and the escalation policies, on top of
the entry and field readers. `TeamParser(filename).team(root)` returns the Team, or None
with every problem in `.problems`."""

from __future__ import annotations

import re

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from bot.core import parsers
from bot.core.model import SEVERITIES, STEP_KINDS, EscalationPolicy, EscalationStep, Team
from bot.schedules.entries import EntryReader
from bot.schedules.fields import did_you_mean
from bot.schedules.schema import (
    ESCALATION_FIELDS,
    EXAMPLES,
    POLICY_FIELDS,
    STEP_FIELDS,
    TEAM_FIELDS,
)

__all__ = ["TeamParser"]


class TeamParser(EntryReader):
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
        if f is None:
            return None

        def get(key: str) -> Node | None:
            return f[key][1] if key in f else None

        name = (
            self.name(get("team"), "team", "team name", "safety-escalations")
            if "team" in f
            else None
        )
        languages = None
        if "languages" in f:
            languages = self.language_list(
                get("languages"), "languages", None, allow_empty=False, example="[en, es, ar]"
            )
        # Specialists' languages must be among the team's; when the team's own list is
        # broken, only check that they are ISO codes, so one mistake is reported once.
        team_languages = languages
        intake = (
            self.channel_id(get("intake_channel"), "intake_channel")
            if "intake_channel" in f
            else None
        )
        escal = (
            self.channel_id(get("escalation_channel"), "escalation_channel")
            if "escalation_channel" in f
            else None
        )
        managers: tuple[str, ...] = ()
        if "managers" in f:
            items = self.seq(get("managers"), "managers", "[U0MGR0001]") or []
            ids = [self.user_id(n, f"managers[{i}]") for i, n in enumerate(items)]
            managers = tuple(i for i in ids if i is not None)
            self.no_duplicates(items, "managers", "manager")
        group = None
        if "manager_group" in f and not self.optional(get("manager_group")):
            group = self.group_id(get("manager_group"), "manager_group")

        specialists = (
            self.specialists(get("specialists"), team_languages) if "specialists" in f else ()
        )
        known_users = self.known_users
        rotations = self.rotations(get("rotations"), known_users) if "rotations" in f else ()
        overrides = (
            self.overrides(get("overrides"), known_users, self.rotation_zones)
            if "overrides" in f
            else ()
        )
        time_off = (
            self.time_off(get("time_off"), known_users, self.user_zones) if "time_off" in f else ()
        )
        default_severity, policies = "sev2", ()
        if "escalation" in f and not self.optional(get("escalation")):
            has_managers = (
                "managers" in f
                and isinstance(get("managers"), SequenceNode)
                and bool(get("managers").value)
            ) or ("manager_group" in f and not self.optional(get("manager_group")))
            default_severity, policies = self.escalation(get("escalation"), has_managers)

        if self.problems:
            return None
        assert name and languages and intake and escal
        return Team(
            name=name,
            languages=languages,
            intake_channel=intake,
            escalation_channel=escal,
            managers=managers,
            manager_group=group,
            specialists=specialists,
            rotations=rotations,
            overrides=overrides,
            time_off=time_off,
            default_severity=default_severity,
            policies=policies,
        )

    # escalation -----------------------------------------------------------------------------

    def escalation(
        self, node: Node, has_managers: bool
    ) -> tuple[str, tuple[tuple[str, EscalationPolicy], ...]]:
        f = self.fields(node, "escalation", ESCALATION_FIELDS, ("policies",), "escalation")
        if f is None:
            return "sev2", ()
        policies: dict[str, EscalationPolicy] = {}
        pnode = f["policies"][1] if "policies" in f else None
        if pnode is not None:
            pf = self.fields(pnode, "escalation.policies", SEVERITIES, (), "policies")
            if pf is not None and not pnode.value:
                self.err(
                    pnode,
                    "escalation.policies",
                    f"needs at least one policy (sev1, sev2 or sev3), e.g. {EXAMPLES['policies']}",
                )
            for sev, (_, value) in (pf or {}).items():
                pol = self.policy(value, f"escalation.policies.{sev}", has_managers)
                if pol is not None:
                    policies[sev] = pol
        default = "sev2"
        if "default_severity" in f:
            dnode = f["default_severity"][1]
            v = self.scalar(dnode, "escalation.default_severity", "sev2")
            if v is not None and v not in SEVERITIES:
                self.err(
                    dnode,
                    "escalation.default_severity",
                    f"unknown severity '{v}'; allowed: {', '.join(SEVERITIES)}",
                )
            elif v is not None:
                default = v
        named = policy_names(pnode)
        if named and default not in named:
            where = f["default_severity"][1] if "default_severity" in f else node
            have = ", ".join(s for s in SEVERITIES if s in named) or "none"
            self.err(
                where,
                "escalation.default_severity",
                f"default_severity '{default}' has no policy (policies given: {have}); add "
                f"escalation.policies.{default} or set default_severity to one of those",
            )
        ordered = tuple((s, policies[s]) for s in SEVERITIES if s in policies)
        return default, ordered

    def policy(self, node: Node, path: str, has_managers: bool) -> EscalationPolicy | None:
        f = self.fields(node, path, POLICY_FIELDS, ("steps",), "a policy")
        if f is None:
            return None
        steps_out: list[EscalationStep] = []
        ok = True
        if "steps" in f:
            items = self.seq(f["steps"][1], f"{path}.steps", EXAMPLES["steps"], allow_empty=False)
            if items is None:
                ok = False
            for i, item in enumerate(items or []):
                step = self.step(item, f"{path}.steps[{i}]", i == len(items) - 1, has_managers)
                if step is None:
                    ok = False
                else:
                    steps_out.append(step)
        repeat = self.repeat(f["repeat"][1], f"{path}.repeat") if "repeat" in f else 0
        if not ok or repeat is None or not steps_out:
            return None
        return EscalationPolicy(tuple(steps_out), repeat)

    def step(self, item: Node, p: str, last: bool, has_managers: bool) -> EscalationStep | None:
        sf = self.fields(item, p, STEP_FIELDS, ("notify",), "a step")
        if sf is None:
            return None
        notify = sf["notify"][1] if "notify" in sf else None
        kind = None if notify is None else self.step_kind(notify, f"{p}.notify", has_managers)
        ok = True
        wait = None
        if "wait" in sf:
            wnode = sf["wait"][1]
            if not (last and self.optional(wnode)):
                w = self.scalar(wnode, f"{p}.wait", "5m")
                if w is not None:
                    wait = self.checked(wnode, f"{p}.wait", parsers.parse_duration, w)
                ok = wait is not None
        elif not last:
            self.err(
                item,
                f"{p}.wait",
                "every step but the last needs a wait (how long to wait for an "
                "acknowledgement before the next step), e.g. "
                "{notify: language_oncall, wait: 5m}",
            )
            ok = False
        return EscalationStep(kind, wait) if ok and kind is not None else None

    def step_kind(self, node: Node, path: str, has_managers: bool) -> str | None:
        kind = self.scalar(node, path, "language_oncall")
        if kind is not None and kind not in STEP_KINDS:
            self.err(
                node,
                path,
                f"unknown step kind '{kind}'; allowed: {', '.join(STEP_KINDS)}"
                + did_you_mean(kind, STEP_KINDS),
            )
            return None
        if kind == "managers" and not has_managers:
            self.err(
                node,
                path,
                "a 'managers' step needs someone to notify; list user IDs under "
                "`managers` (e.g. [U0MGR0001]) or set `manager_group` (e.g. S0MGRGRP1)",
            )
            return None
        return kind

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


def policy_names(pnode: Node | None) -> set[str] | None:
    """The severities named under `policies`, or None when that is not a mapping."""
    if not isinstance(pnode, MappingNode):
        return None
    return {k.value for k, _ in pnode.value if isinstance(k, ScalarNode)}

