"""Categories and routing capacity behind `/oncall category` and `/oncall capacity`:
read-outs for anyone, edits for managers through the one edit transaction
(`RotationBase.apply_edit`: checked by the team rules, saved, audited with before and
after as the schedule file's fields).

A request keeps its category as it was when filed (frozen on the request), so an edit
reaches new requests only; the reply says so when the edit changes routing.
"""

from __future__ import annotations

from typing import Any

from bot.core import category_edits as ce
from bot.core import refs, skills
from bot.core.model import DEFAULT_CATEGORY, Category, Team
from bot.core.parsers import format_duration
from bot.core.team_file import category_dict
from bot.services.rotation_edit import EditContext, EditPlan, EditResult, RotationBase

__all__ = ["CategoryEdits", "category_line"]

MANAGE = "change categories"
BY_SEVERITY = "the severity's"


class CategoryEdits(RotationBase):
    """`/oncall category ...` and `/oncall capacity`."""

    # -- reading ---------------------------------------------------------------------------

    def _team(self, asker: str, team: str | None = None) -> Team:
        return self.rosters.get(self.team_name(team, asker)).team

    def list_categories(self, asker: str, team: str | None = None) -> str:
        t = self._team(asker, team)
        lines = [f"*Categories of {t.name}* (default: {t.default_category_name})"]
        if not t.categories:
            lines.append("This team lists no categories: every request is `other` (Other), "
                         "paged to anyone who reads its language.")
        lines += [f"• {category_line(t, c)}" for c in t.categories]
        if t.category(t.default_category_name) is not None and not any(
                c.name == t.default_category_name for c in t.categories):
            lines.append(f"• `{DEFAULT_CATEGORY}` Other: anyone who reads the language "
                         "(not listed; used when a request names no category)")
        lines += [f"Warning: {skills.unheld_warning(t, k)}" for k in skills.unheld(t)]
        lines.append(f"Each person holds at most {t.max_open_per_person} open request(s) "
                     "before the next free reader is preferred.")
        lines.append(f"Details: {refs.command('oncall category show le-emergency')}. A manager "
                     f"changes one with {ce.EXAMPLES['set']}")
        return "\n".join(lines)

    def show_category(self, asker: str, name: str, team: str | None = None) -> str:
        t = self._team(asker, team)
        c = ce.require_category(t, name, refs.command("oncall category show le-emergency"))
        severity = c.severity or f"the team's default ({t.default_severity})"
        lines = [f"*Category {c.name}*: {refs.typed(c.label)}",
                 f"Severity: {severity} (an explicit sevN on a request wins)",
                 f"Escalation policy: {c.policy or BY_SEVERITY}",
                 "Skills: " + (_skills_held(t, c) if c.skills
                               else "none (anyone who reads the language is paged)"),
                 f"Due: {format_duration(c.due) if c.due else 'no response target'}",
                 "Sensitive: " + (f"yes (redacted; counts {c.weight} toward exposure)"
                                  if c.sensitive else
                                  f"no (counts {c.weight} toward exposure)"),
                 "Verification: " + ("two-person (a second person verifies before "
                                     "disclosure)" if c.two_person else "none"),
                 f"Fields asked: {', '.join(c.fields) or 'none'}"]
        if c.name == t.default_category_name:
            lines.append("It is the default category: requests filed without one get it.")
        lines.append(f"A manager changes it with "
                     f"{refs.command(f'oncall category set {c.name} due=20m')}")
        return "\n".join(lines)

    def capacity_text(self, asker: str, team: str | None = None) -> str:
        t = self._team(asker, team)
        return (f"Each person holds at most {t.max_open_per_person} open request(s) before "
                f"the next free reader is preferred (they are paged again only when every "
                f"reader is that busy). A manager changes it with {ce.EXAMPLES['capacity']}")

    # -- editing ---------------------------------------------------------------------------

    def create_category(self, actor: str, name: str, fields: dict[str, Any], *,
                        team: str | None = None,
                        expected_revision: int | None = None) -> EditResult:
        def build(c: EditContext) -> EditPlan:
            after = ce.create_category(c.team, name, fields)
            new = after.categories[-1]
            text = f"created category {name} ({refs.typed(new.label)})"
            return EditPlan(after, "category.create", text, None, category_dict(new),
                            warnings=tuple(ce.new_unheld(c.team, after)))
        return self.apply_edit(actor, team, build, MANAGE, expected_revision)

    def set_category(self, actor: str, name: str, fields: dict[str, Any], *,
                     team: str | None = None,
                     expected_revision: int | None = None) -> EditResult:
        def build(c: EditContext) -> EditPlan:
            after = ce.set_category(c.team, name, fields)
            was, now = _named(c.team, name), _named(after, name)
            changed = [k for k in fields if getattr(was, k) != getattr(now, k)]
            text = (f"changed category {name}: "
                    + ", ".join(f"{k} {_value(was, k)} → {_value(now, k)}" for k in changed)
                    if changed else f"category {name} already has those settings")
            notes = ((f"requests already filed as {name} keep it as it was when they were "
                      "filed; this applies to new requests",)
                     if ce.affects_routing(was, now) else ())
            return EditPlan(after, "category.set", text, category_dict(was),
                            category_dict(now), notes=notes,
                            warnings=tuple(ce.new_unheld(c.team, after)))
        return self.apply_edit(actor, team, build, MANAGE, expected_revision)

    def delete_category(self, actor: str, name: str, *, team: str | None = None,
                        expected_revision: int | None = None) -> EditResult:
        def build(c: EditContext) -> EditPlan:
            was = ce.require_category(c.team, name, ce.EXAMPLES["delete"])
            after = ce.delete_category(c.team, name)
            note = (f"requests already filed as {name} keep it as it was when they were "
                    f"filed; new requests can no longer be filed as {name}")
            return EditPlan(after, "category.delete", f"deleted category {name}",
                            category_dict(was), None, notes=(note,))
        return self.apply_edit(actor, team, build, MANAGE, expected_revision)

    def set_default_category(self, actor: str, name: str, *, team: str | None = None,
                             expected_revision: int | None = None) -> EditResult:
        def build(c: EditContext) -> EditPlan:
            after = ce.set_default_category(c.team, name)
            before = c.team.default_category_name
            note = (f"requests already filed keep their category; new requests filed "
                    f"without one are {name}",)
            return EditPlan(after, "category.default",
                            f"made {name} the default category (was {before})",
                            {"default_category": before}, {"default_category": name},
                            notes=note if before != name else ())
        return self.apply_edit(actor, team, build, MANAGE, expected_revision)

    def set_capacity(self, actor: str, n: int, *, team: str | None = None,
                     expected_revision: int | None = None) -> EditResult:
        def build(c: EditContext) -> EditPlan:
            after = ce.set_capacity(c.team, n)
            was = c.team.max_open_per_person
            text = (f"set routing capacity to {n} open request(s) per person (was {was})"
                    if was != n else f"routing capacity is already {n}")
            return EditPlan(after, "routing.capacity", text, {"max_open_per_person": was},
                            {"max_open_per_person": n})
        return self.apply_edit(actor, team, build, "change routing capacity",
                               expected_revision)


def category_line(t: Team, c: Category) -> str:
    """One category on one line: its name, label and every setting."""
    parts = [f"severity {c.severity or 'default (' + t.default_severity + ')'}",
             f"policy {c.policy or BY_SEVERITY}",
             f"due {format_duration(c.due) if c.due else 'none'}",
             f"skills {', '.join(c.skills) or 'none'}",
             f"sensitive {'yes' if c.sensitive else 'no'} (weight {c.weight})",
             f"verification {c.verification or 'none'}",
             f"fields {', '.join(c.fields) or 'none'}"]
    default = " *(default)*" if c.name == t.default_category_name else ""
    return f"`{c.name}`{default} {refs.typed(c.label)}: " + "; ".join(parts)


def _named(team: Team, name: str) -> Category:
    return next(c for c in team.categories if c.name == name)


def _skills_held(t: Team, c: Category) -> str:
    return "; ".join(f"{k} (held by {refs.people(skills.holders(t, k), 'nobody')})"
                     for k in c.skills)


def _value(c: Category, key: str) -> str:
    v = getattr(c, key)
    if key == "label":
        return refs.typed(v)
    if key == "due":
        return format_duration(v) if v else "none"
    if key in ("skills", "fields"):
        return ",".join(v) or "none"
    if key == "sensitive":
        return "true" if v else "false"
    return "none" if v is None else str(v)
