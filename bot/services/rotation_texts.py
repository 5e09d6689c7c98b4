"""The sentences of rotation management: who may edit, change lines, DMs, coverage
losses. People and commands are neutral references (bot/core/refs.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.core import edits, refs, skills
from bot.core.checks import format_span, language_label
from bot.core.model import WEEKDAYS, Rotation, Specialist, Team

DM_LINES = 15


def who_may(team: Team) -> str:
    """'managers ({@U1}, {@U2} or members of the managers' group)'."""
    names = [refs.person(m) for m in team.managers]
    if team.manager_group:
        names.append("members of the managers' group")
    if not names:
        return f"managers (team {team.name} has none yet: list them under `managers` in its YAML)"
    if len(names) == 1:
        return f"managers ({names[0]})"
    return f"managers ({', '.join(names[:-1])} or {names[-1]})"


def format_value(v: Any) -> str:
    return ",".join(v) if isinstance(v, list) else str(v)


def stale_message(team: str, expected: int, actual: int) -> str:
    return (f"the schedule of {team} changed while you were editing (you started from "
            f"revision {expected}, it is now at {actual}); nothing was saved: reload it and "
            "try again")


def edit_noun(action: str) -> str:
    return {"swap.accepted": "this swap", "cover.accepted": "this cover",
            "time_off.add": "this time off"}.get(action, "this change")


def bullets(lines: list[str]) -> str:
    shown = [f"- {x}" for x in lines[:DM_LINES]]
    if len(lines) > DM_LINES:
        shown.append(f"- ... and {len(lines) - DM_LINES} more "
                     f"(see {refs.command('oncall shifts')})")
    return "\n".join(shown)


def dm_text(what: str, actor: str, lines: list[str]) -> str:
    by = "" if refs.person(actor) in what else f" (by {refs.person(actor)})"
    return f"Your on-call shifts changed: {what}{by}.\n{bullets(lines)}"


def loss_lines(lost: list[tuple[str, datetime, datetime]], actor_tz: str | None,
               per_language: int = 3) -> list[str]:
    by_lang: dict[str, list[tuple[datetime, datetime]]] = {}
    for lang, s, e in lost:
        by_lang.setdefault(lang, []).append((s, e))
    out = []
    for lang, spans in by_lang.items():
        shown = []
        for s, e in spans[:per_language]:
            text = format_span(s, e, "UTC")
            if actor_tz and actor_tz != "UTC":
                text += f" (your time: {format_span(s, e, actor_tz)})"
            shown.append(text)
        more = f" and {len(spans) - per_language} more" if len(spans) > per_language else ""
        out.append(f"{language_label(lang)} with nobody on call: {', '.join(shown)}{more}")
    return out


def rotation_line(r: Rotation) -> str:
    return (f"{r.timezone}, shift {r.shift_label} local, {_days(r.days)}, "
            f"{r.handoff_label} handoff from {r.start.isoformat()}, {r.tier}")


def _days(days: frozenset[int]) -> str:
    if days == edits.ALL_DAYS:
        return "every day"
    return ",".join(WEEKDAYS[d] for d in sorted(days))


def no_rotation(team: Team, name: str) -> str:
    names = ", ".join(r.name for r in team.rotations) or "none yet"
    return f"no rotation named '{name}'; rotations: {names}"


def skills_change_text(user: str, gained: list[str], lost: list[str], kept: list[str]) -> str:
    """'gave {@U} le_requests, child_safety; took away legal_hold' (what the reply, the
    audit and the DM say was done)."""
    parts = []
    if gained:
        parts.append(f"gave {refs.person(user)} {', '.join(gained)}")
    if lost:
        parts.append(f"took {', '.join(lost)} away from {refs.person(user)}")
    if kept:
        parts.append(f"{refs.person(user)} already holds {', '.join(kept)}")
    return "; ".join(parts)


def paged_for_text(team: Team, spec: Specialist) -> str:
    """'You can be paged for le-emergency and other; not for child-safety (needs
    child_safety).' in the second person, or '' when the team lists no categories."""
    yes, no = skills.paged_for(team, spec)
    if not yes and not no:
        return ""
    can = (f"can be paged for {', '.join(c.name for c in yes)}" if yes
           else "cannot be paged for any category")
    cannot = "; not for " + ", ".join(f"{c.name} (needs {', '.join(m)})" for c, m in no) \
        if no else ""
    return f"{can}{cannot}"


def skills_dm_text(team: Team, spec: Specialist, what: str, actor: str) -> str:
    """The DM to the person whose skills changed."""
    by = "" if refs.person(actor) in what else f" (by {refs.person(actor)})"
    held = ", ".join(spec.skills) or "no skills"
    lines = [f"Your skills changed: {what}{by}.", f"You hold: {held}."]
    paged = paged_for_text(team, spec)
    if paged:
        lines.append(f"You {paged}.")
    lines.append(f"See them any time with {refs.command('oncall me')}.")
    return "\n".join(lines)
