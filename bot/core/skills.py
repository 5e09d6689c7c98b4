"""Skills: what the team's categories require, who holds each, and what a change of a
person's skills means for paging. The words `/oncall skills`, `/oncall me` and the Home
tab show, and the notes an edit of skills adds to its reply.

A category pages only specialists holding all of its skills; when nobody holds them its
requests go to the managers (PRODUCT.md, "Categories (workflows)"). A category that
requires no skill pages anyone who reads the language.

Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable

from bot.core.model import Category, Specialist, Team

__all__ = [
    "categories_line",
    "change_notes",
    "holders",
    "paged_for",
    "required",
    "unheld",
    "unheld_warning",
]


def required(team: Team) -> dict[str, tuple[Category, ...]]:
    """Skill -> the categories requiring it, in the order the team lists them."""
    out: dict[str, list[Category]] = {}
    for c in team.categories:
        for k in c.skills:
            out.setdefault(k, []).append(c)
    return {k: tuple(v) for k, v in out.items()}


def holders(team: Team, skill: str) -> tuple[str, ...]:
    """The specialists holding `skill`, in the team's order."""
    return tuple(s.id for s in team.specialists if skill in s.skills)


def unheld(team: Team) -> list[str]:
    """Skills some category requires that no specialist holds."""
    return [k for k in required(team) if not holders(team, k)]


def _names(categories: Iterable[Category]) -> str:
    return " and ".join(c.name for c in categories)


def unheld_warning(team: Team, skill: str, any_more: bool = False) -> str:
    """'nobody holds child_safety any more: child-safety requests will go to the
    managers'."""
    cats = required(team).get(skill, ())
    return (f"nobody holds {skill}{' any more' if any_more else ''}: {_names(cats)} "
            "requests will go to the managers")


def categories_line(team: Team) -> str:
    """'le-emergency (needs le_requests), child-safety (needs child_safety), other (no
    skill needed)', or a sentence when the team lists no categories."""
    if not team.categories:
        return "none yet (this team lists no categories)"
    return ", ".join(f"{c.name} (needs {', '.join(c.skills)})" if c.skills
                     else f"{c.name} (no skill needed)" for c in team.categories)


def change_notes(before: Team, after: Team, added: Iterable[str], removed: Iterable[str]
                 ) -> tuple[list[str], list[str]]:
    """(notes, warnings) for a change of one person's skills: a skill added that no
    category requires yet (allowed: the categories may come later), and a skill removed
    from its last holder while a category still requires it."""
    need = required(after)
    notes = [f"no category requires {k} yet; categories: {categories_line(after)}"
             for k in added if k not in need]
    warnings = [unheld_warning(after, k, any_more=True) for k in removed
                if k in need and holders(before, k) and not holders(after, k)]
    return notes, warnings


def paged_for(team: Team, spec: Specialist
              ) -> tuple[list[Category], list[tuple[Category, tuple[str, ...]]]]:
    """(categories `spec` may be paged for, [(category, the skills they lack)]), over
    the categories the team lists (none listed: every request is `other`, for anyone)."""
    yes: list[Category] = []
    no: list[tuple[Category, tuple[str, ...]]] = []
    for c in team.categories:
        missing = tuple(k for k in c.skills if k not in spec.skills)
        if missing:
            no.append((c, missing))
        else:
            yes.append(c)
    return yes, no
