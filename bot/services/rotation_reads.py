"""Read-outs of rotations: the list, one rotation's next days, a person's own summary."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from bot.core import edits, refs, skills, timezones
from bot.core.checks import format_span
from bot.services.errors import NotFound
from bot.services.rotation_edit import RotationBase, is_manager
from bot.services.rotation_shifts import next_shift_lines
from bot.services.rotation_texts import no_rotation, paged_for_text, rotation_line
from bot.store import teams as team_store

SHOW_DAYS = 7
ME_DAYS = 14  # how far ahead `/oncall me` lists shifts


@dataclass(frozen=True)
class MeView:
    """A person's own summary. `name` is None for someone who is not a specialist."""

    user: str
    team: str
    manager: bool
    name: str | None = None
    timezone: str = ""
    languages: tuple[str, ...] = ()
    backup: tuple[str, ...] = ()
    holidays: str | None = None
    skills: tuple[str, ...] = ()
    paged_for: str = ""  # "can be paged for ...; not for ..." ('' without categories)
    rotations: list[tuple[str, int, int]] = field(default_factory=list)  # name, pos, of
    shifts: list[str] = field(default_factory=list)  # next shifts, in their own zone
    time_off: list[tuple[str, str]] = field(default_factory=list)  # (from, to)
    days: int = ME_DAYS


def me_text(v: MeView) -> str:
    """The summary as lines of neutral text: one line per shift."""
    role = " You are a manager of this team." if v.manager else ""
    if v.name is None:
        return f"You are not a specialist of team {v.team}.{role}"
    lines = [f"*{v.name}* ({refs.person(v.user)}), team {v.team}.{role}",
             f"Zone {v.timezone}; reads {', '.join(v.languages)} (strongest first)"
             + (f"; backup for {', '.join(v.backup)} off shift" if v.backup else "")
             + (f"; holidays {v.holidays}" if v.holidays else "")]
    lines.append("Skills: " + (", ".join(v.skills) or "none")
                 + (f"; you {v.paged_for}" if v.paged_for else ""))
    rots = [f"{name} (position {pos} of {size})" for name, pos, size in v.rotations]
    lines.append("Rotations: " + (", ".join(rots) if rots else "none"))
    lines.append(f"Next shifts ({v.days} days, your time):"
                 + ("".join(f"\n• {s}" for s in v.shifts) if v.shifts
                    else f" none in the next {v.days} days"))
    if v.time_off:
        lines.append("Time off:" + "".join(f"\n• {a} to {b}" for a, b in v.time_off))
    return "\n".join(lines)


class RotationReads(RotationBase):
    """Answers about rotations and people; they change nothing."""

    # -- reads ---------------------------------------------------------------------------

    def revision(self, team: str | None = None) -> int:
        name = self.team_name(team, None)
        with self.sessions() as session:
            return team_store.team_revision(session, name) or 0

    def rotation_settings(self, name: str, team: str | None = None
                          ) -> tuple[dict[str, Any], int]:
        """A rotation as its YAML dict, and the team's revision (for an edit modal:
        pass the revision back as `expected_revision`)."""
        tname = self.team_name(team, None)
        with self.sessions() as session:
            rev, t = self.load_team(session, tname)
        rot = t.rotation(name)
        if rot is None:
            raise NotFound(no_rotation(t, name))
        return edits.rotation_dict(rot), rev

    def list_rotations(self, team: str | None = None) -> str:
        t = self.rosters.get(self.team_name(team, None)).team
        if not t.rotations:
            return (f"Team {t.name} has no rotations yet; create one with "
                    f"{edits.EXAMPLES['create']}")
        lines = [f"*Rotations of {t.name}*"]
        for r in t.rotations:
            lines.append(f"- *{r.name}*: {rotation_line(r)}; "
                         f"members {refs.people(r.members, 'none')}")
        return "\n".join(lines)

    def show_rotation(self, name: str, team: str | None = None) -> str:
        roster = self.rosters.get(self.team_name(team, None))
        t = roster.team
        rot = t.rotation(name)
        if rot is None:
            raise NotFound(no_rotation(t, name))
        now = timezones.utc(self.clock.now())
        tz = rot.timezone
        lines = [f"*{rot.name}*: {rotation_line(rot)}"]
        if rot.members:
            lines.append("Members, in order:")
            for i, u in enumerate(rot.members, 1):
                s = t.specialist(u)
                about = f" {s.name} ({', '.join(s.languages)})" if s else ""
                lines.append(f"  {i}. {refs.person(u)}{about}")
        else:
            lines.append(f"No members yet: add them with {edits.EXAMPLES['add']}")
        lines.append(f"Next {SHOW_DAYS} days ({tz}):")
        shown = 0
        for a in roster.assignments(now, now + timedelta(days=SHOW_DAYS), rotation=name):
            who = refs.person(a.user) if a.user else "*nobody (uncovered)*"
            note = {"substitute": f" (substitute for {refs.person(a.scheduled)})",
                    "override": " (override)"}.get(a.kind, "")
            lines.append(f"  - {format_span(a.start, a.end, tz)}: {who}{note}")
            shown += 1
        if not shown:
            lines.append("  - no shifts")
        return "\n".join(lines)

    def me_view(self, user: str, team: str | None = None) -> MeView:
        """What `/oncall me` shows, as values (the Slack adapter lays them out)."""
        roster = self.rosters.get(self.team_name(team, user))
        t = roster.team
        spec = t.specialist(user)
        manager = is_manager(t, user, self.manager_groups(t, user))
        now = timezones.utc(self.clock.now())
        if spec is None:
            return MeView(user, t.name, manager)
        rots = [(r.name, r.members.index(user) + 1, len(r.members))
                for r in t.rotations if user in r.members]
        away = [edits.time_off_dict(x, t) for x in t.time_off if x.user == user and x.end > now]
        return MeView(user, t.name, manager, spec.name, spec.timezone, spec.languages,
                      spec.backup, spec.holidays, spec.skills, paged_for_text(t, spec), rots,
                      next_shift_lines(roster, user, now, spec.timezone, days=ME_DAYS,
                                       limit=10),
                      [(str(a["from"]), str(a["to"])) for a in away])

    def skills_text(self, user: str | None = None, team: str | None = None,
                    asker: str | None = None) -> str:
        """`/oncall skills`: every skill the team's categories require with who holds
        it (and a warning for one nobody holds), then skills held that no category
        requires; with `user`, that person's skills and the categories they can be
        paged for."""
        t = self.rosters.get(self.team_name(team, asker or user)).team
        if user is not None:
            return self._person_skills(t, user)
        need = skills.required(t)
        lines = [f"*Skills of {t.name}*"]
        lines += [f"Warning: {skills.unheld_warning(t, k)}" for k in skills.unheld(t)]
        if not need:
            lines.append("No category requires a skill (categories: "
                         f"{skills.categories_line(t)}).")
        for k, cats in need.items():
            who = refs.people(skills.holders(t, k), "*nobody*")
            lines.append(f"- {k}: needed by {', '.join(c.name for c in cats)}; held by {who}")
        extra = {}
        for s in t.specialists:
            for k in s.skills:
                if k not in need:
                    extra.setdefault(k, []).append(s.id)
        if extra:
            lines.append("Held, but no category requires them yet:")
            lines += [f"- {k}: {refs.people(ids)}" for k, ids in extra.items()]
        lines.append(f"A manager changes them with {edits.EXAMPLES['skills']}")
        return "\n".join(lines)

    @staticmethod
    def _person_skills(t, user: str) -> str:
        spec = t.specialist(user)
        if spec is None:
            raise NotFound(f"{refs.person(user)} is not a specialist of {t.name}, so they "
                           f"hold no skills; add them first with "
                           f"{edits.EXAMPLES['specialist']}")
        held = ", ".join(spec.skills) or "no skills"
        paged = paged_for_text(t, spec)
        return (f"{refs.person(user)} ({spec.name}) holds: {held}."
                + (f"\nThey {paged}." if paged else ""))

    def me(self, user: str, team: str | None = None) -> str:
        return me_text(self.me_view(user, team))
