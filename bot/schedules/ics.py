"""iCalendar export: one VEVENT per on-call piece, exact UTC times, the person named."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import datetime

from icalendar import Calendar, Event, vCalAddress

from bot.core.roster import OVERRIDE, SUBSTITUTE, UNCOVERED, Assignment, Roster

PRODID = "-//oncall-bot//schedule export//EN"


def _uid(a: Assignment, team: str) -> str:
    key = f"{team}|{a.rotation}|{a.user}|{a.start.isoformat()}|{a.end.isoformat()}"
    return hashlib.sha1(key.encode()).hexdigest() + "@oncall-bot"


def calendar(roster: Roster, assignments: Iterable[Assignment], title: str,
             stamp: datetime) -> bytes:
    """An .ics document. `stamp` (DTSTAMP) is passed in so the output is reproducible."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", title)
    team = roster.team.name
    for a in assignments:
        spec = roster.specialist(a.user) if a.user else None
        who = spec.name if spec else (a.user or "nobody")
        ev = Event()
        ev.add("uid", _uid(a, team))
        ev.add("dtstamp", stamp)
        ev.add("dtstart", a.start)
        ev.add("dtend", a.end)
        if a.kind == UNCOVERED:
            ev.add("summary", f"UNCOVERED: {a.rotation} ({a.tier}) - nobody available")
        else:
            note = {OVERRIDE: " [override]", SUBSTITUTE: " [covering]"}.get(a.kind, "")
            ev.add("summary", f"On call: {who} - {a.rotation} ({a.tier}){note}")
        lines = [f"Rotation: {a.rotation} ({a.tier})", f"Kind: {a.kind}"]
        if spec is not None:
            lines.append(f"Languages: {', '.join(spec.languages)}")
        if a.scheduled and a.scheduled != a.user:
            sched = roster.specialist(a.scheduled)
            lines.append(f"Scheduled: {sched.name if sched else a.scheduled}")
        ev.add("description", "\n".join(lines))
        ev.add("categories", [a.rotation, a.tier, a.kind])
        if a.user:
            att = vCalAddress(f"urn:slack:user:{a.user}")
            att.params["cn"] = who
            ev.add("attendee", att)
            ev.add("x-oncall-user", a.user)
        ev.add("transp", "TRANSPARENT")
        cal.add_component(ev)
    return cal.to_ical()
