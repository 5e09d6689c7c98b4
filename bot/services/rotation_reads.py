"""Read-outs of rotations: the list, one rotation's next days, a person's own summary."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot.core import edits, refs, timezones
from bot.core.checks import format_span
from bot.services.errors import NotFound
from bot.services.rotation_edit import RotationBase, is_manager
from bot.services.rotation_shifts import next_shifts_text
from bot.services.rotation_texts import no_rotation, rotation_line
from bot.store import teams as team_store

SHOW_DAYS = 7


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

    def me(self, user: str, team: str | None = None) -> str:
        roster = self.rosters.get(self.team_name(team, user))
        t = roster.team
        spec = t.specialist(user)
        manager = is_manager(t, user, self.manager_groups(t, user))
        now = timezones.utc(self.clock.now())
        role = " You are a manager of this team." if manager else ""
        if spec is None:
            return f"You are not a specialist of team {t.name}.{role}"
        lines = [f"*{spec.name}* ({refs.person(user)}), team {t.name}.{role}",
                 f"Zone {spec.timezone}; reads {', '.join(spec.languages)} (strongest first)"
                 + (f"; backup for {', '.join(spec.backup)} off shift" if spec.backup else "")
                 + (f"; holidays {spec.holidays}" if spec.holidays else "")]
        rots = [f"{r.name} (position {r.members.index(user) + 1} of {len(r.members)})"
                for r in t.rotations if user in r.members]
        lines.append("Rotations: " + (", ".join(rots) if rots else "none"))
        lines.append(f"Next shifts (14 days, your time): "
                     f"{next_shifts_text(roster, user, now, spec.timezone, days=14, limit=10)}")
        away = [edits.time_off_dict(x, t) for x in t.time_off if x.user == user and x.end > now]
        if away:
            lines.append("Time off: " + "; ".join(f"{a['from']} to {a['to']}" for a in away))
        return "\n".join(lines)
