"""The App Home tab (`views.publish`): a person's on-call status at a glance.

`home_view(user, roster, now, open_requests, is_manager, waiting=, alerts=)` shows, top
to bottom:

0. what needs you now: the pages waiting for your answer, with Acknowledge and Decline
   (`ids.ACK`, `ids.DECLINE`, value: the page id), the open requests you were alerted
   about as a manager, with Take it and Page someone (`ids.TAKE`, `ids.PAGE_SOMEONE`,
   value: the request id), then the requests you have, with Resolve and Hand over
   (a request paging you without its page in `waiting` points to the page DM);
1. whether `user` is on call now, for which rotation(s), and until when (the end of the
   unbroken stretch, back-to-back pieces joined), with their next shift when they are
   off; wall-clock times in the specialist's own zone from the roster, and the hand-off
   also as a Slack date token (which Slack shows in the viewer's Slack zone);
2. their next shifts over `horizon_days` (10 at most), in their zone;
3. their skills and the categories they can (and cannot) be paged for, when they hold a
   skill or the team lists categories;
4. who covers each team language right now, best first (primary tier first);
5. for managers, the coverage gaps of the next `horizon_days`, daily repeats folded
   ("daily 22:00-23:00 UTC, 8-28 Mar", `chart.gap_list_text`), in the manager's roster
   zone when they are a specialist, else UTC.

Someone not on the team (and not a manager) gets a friendly explanation and pointers to
`/emergency` and `/oncall help`. Limits: 100 blocks, 3000 characters a section.
Pure: no Slack calls, no database, no clock (`now` is given).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from bot.core import skills, timezones
from bot.core.messages import PageView, RequestView
from bot.core.model import Specialist, Team
from bot.core.roster import OVERRIDE, SUBSTITUTE, Assignment, Roster
from bot.slack import ids
from bot.slack.breaks import break_blocks
from bot.slack.chart import describe_span, gap_list_text, zone_label
from bot.slack.permissions import describe_managers
from bot.slack.render import blocks as kit
from bot.slack.render import content
from bot.slack.render import mrkdwn as md
from bot.slack.render.pages import DECLINE_CONFIRM

__all__ = ["home_view"]

HOME_BLOCKS_MAX = 100
SHIFTS_SHOWN = 10
REQUESTS_SHOWN = 15  # two blocks each
READERS_SHOWN = 5  # per language in "who's on call now"
_DIVIDER = {"type": "divider"}


def _lines(title: str, lines: list[str], more: str = "") -> str:
    """A title and lines that fit one section; lines that do not fit are counted."""
    out = title
    for i, line in enumerate(lines):
        if len(out) + len(line) + len(more) + 60 > kit.SECTION_TEXT_MAX:
            return out + f"\n…and {len(lines) - i} more"
        out += "\n" + line
    return out + (f"\n{more}" if more else "")


def _when(at: datetime, tz: str, now: datetime) -> str:
    """"15:00 UTC+08 today", "07:00 GMT tomorrow", "Tue 10 Mar 07:00 GMT"."""
    loc = timezones.to_local(at, tz)
    today = timezones.local_date(now, tz)
    clock = f"{loc:%H:%M} {zone_label(at, tz)}"
    if loc.date() == today:
        return f"{clock} today"
    if loc.date() == today + timedelta(days=1):
        return f"{clock} tomorrow"
    return f"{loc:%a} {loc.day} {loc:%b} {clock}"


def _joined(pieces: list[Assignment]) -> list[list[Assignment]]:
    """Back-to-back pieces of the same rotation (an override splitting a shift) as one."""
    out: list[list[Assignment]] = []
    for a in sorted(pieces):
        if out and out[-1][-1].rotation == a.rotation and out[-1][-1].end == a.start:
            out[-1].append(a)
        else:
            out.append([a])
    return out


def _notes(pieces: list[Assignment]) -> str:
    notes = []
    for a in pieces:
        if a.kind == SUBSTITUTE and a.scheduled:
            note = f"covering for {md.user_mention(a.scheduled)}"
        elif a.kind == OVERRIDE:
            note = "override"
        else:
            continue
        if note not in notes:
            notes.append(note)
    return f" · {', '.join(notes)}" if notes else ""


def _rotation_label(a: Assignment) -> str:
    tier = "" if a.tier == "primary" else f", {md.escape(a.tier)}"
    return f"*{md.escape(a.rotation)}*{tier}"


def _stranger(user: str, roster: Roster, now: datetime) -> dict[str, Any]:
    team = md.escape(roster.team.name)
    blocks: kit.Blocks = [
        kit.header(f"On call · {roster.team.name}"),
        kit.section(
            f":wave: Hi {md.user_mention(user)}! You're not on the *{team}* on-call team, so "
            "there are no shifts or pages for you here.\n\n"
            "*Need a specialist?* File an emergency request with "
            "`/emergency &lt;what is happening&gt;`: it reaches whoever is on call for its "
            "language, in any language.\n"
            "*Curious?* `/oncall who` shows who is on call now, and `/oncall help` lists "
            "everything the bot can do."
        ),
        kit.context(f"Should you be on this team? Ask {describe_managers(roster.team)}.",
                    f"Updated {md.slack_date(now)}"),
    ]
    return {"type": "home", "blocks": blocks}


def _status(user: str, roster: Roster, now: datetime, tz: str, mine: list[Assignment],
            horizon_end: datetime) -> kit.Blocks:
    current = [a for a in mine if a.contains(now)]
    blocks: kit.Blocks = []
    away = roster.is_away(user, now)
    if current:
        until = max(a.end for a in current)
        grown = True
        while grown:  # join back-to-back pieces: the stretch ends at the real hand-off
            grown = False
            for a in mine:
                if a.start <= until < a.end:
                    until, grown = a.end, True
        rotations = []
        for a in sorted(current, key=lambda x: (x.tier != "primary", x.rotation)):
            label = _rotation_label(a) + _notes([a])
            if label not in rotations:
                rotations.append(label)
        more = " at least" if until >= horizon_end else ""
        text = (f":large_green_circle: *You're on call now* for {', '.join(rotations)}, "
                f"until{more} *{_when(until, tz, now)}*.")
        context = f"Hand-off {md.slack_date(until)} in your Slack time zone"
    else:
        upcoming = [a for a in mine if a.start > now]
        text = ":white_circle: *You're not on call right now.*"
        if upcoming:
            nxt = upcoming[0]
            text += (f" Next shift: *{_when(nxt.start, tz, now)}*, "
                     f"{_rotation_label(nxt)}.")
            context = f"Next shift starts {md.slack_date(nxt.start)} in your Slack time zone"
        else:
            days = (horizon_end - now).days
            text += f" No shifts in the next {days} days."
            context = ""
    if away:
        text += "\n:palm_tree: You're marked away right now, so nobody pages you."
    blocks.append(kit.section(text))
    blocks.append(kit.context(*(x for x in (f"Your time zone in the roster: {md.escape(tz)}",
                                            context) if x)))
    return blocks


def _shifts(mine: list[Assignment], now: datetime, tz: str, horizon_days: int) -> kit.Blocks:
    upcoming = [g for g in _joined(mine) if g[0].start > now]
    title = f"*Your next shifts* (next {horizon_days} days, {md.escape(tz)} time)"
    if not upcoming:
        return [kit.section(f"{title}\nNone. Enjoy the time off.")]
    lines = []
    for group in upcoming[:SHIFTS_SHOWN]:
        first = group[0]
        span = md.escape(describe_span(first.start, group[-1].end, tz))
        lines.append(f"• {span} · {_rotation_label(first)}{_notes(group)}")
    more = ""
    if len(upcoming) > SHIFTS_SHOWN:
        more = f"…and {len(upcoming) - SHIFTS_SHOWN} more: `/oncall me` lists them all."
    return [kit.section(_lines(title, lines, more))]


def _request_order(user: str):
    def key(r: RequestView):
        waiting = user in (r.paged or ())
        sev = md.as_text(r.severity).lower()
        created = r.created.timestamp() if isinstance(r.created, datetime) else 0.0
        return (not waiting, sev, created)
    return key




def _request_head(req: RequestView) -> str:
    ticket = md.escape(md.as_text(req.ticket).strip() or f"#{req.id}")
    emoji = md.SEVERITY_EMOJI.get(md.as_text(req.severity).lower(), ":rotating_light:")
    lang = md.escape(md.request_language(req))
    head = (f"{emoji} *{ticket}* · {md.severity_mrkdwn(req.severity)} · {lang} · filed "
            f"{md.slack_date(req.created)} by {md.user_mention(req.requester)}")
    # The Home tab is the person's own, but it is read on any screen: graphic content
    # stays behind "Show details" there too.
    return f"{head}\n{content.excerpt(req, 300)}"


def _actions(block_id: str, *buttons: dict[str, Any]) -> dict[str, Any]:
    return {"type": "actions", "block_id": block_id, "elements": list(buttons)}


def _needs_you(user: str, requests: list[RequestView], waiting: list[PageView],
               alerts: list[RequestView]) -> kit.Blocks:
    """What needs `user` now, in this order: pages waiting for their answer (Acknowledge,
    Decline), alerts they received as a manager (Take it, Page someone), then the
    requests they have (Resolve, Hand over)."""
    pages = sorted((p for p in waiting or () if md.as_text(p.request.status) == "open"),
                   key=lambda p: _request_order(user)(p.request))
    paged_ids = {p.request.id for p in pages}
    alerted = [r for r in alerts or ()
               if md.as_text(r.status) == "open" and r.id not in paged_ids]
    shown = paged_ids | {r.id for r in alerted}
    mine = [r for r in requests or ()
            if md.as_text(r.status) != "resolved" and r.id not in shown
            and (r.assignee == user or user in (r.paged or ()))]
    mine.sort(key=_request_order(user))
    items: list[tuple[str, kit.Blocks]] = []
    for page in pages:
        warn = " · :warning: needs translation" if page.needs_translation else ""
        items.append((_request_head(page.request), [
            _actions(f"{ids.HOME_PAGE_BLOCK}:{page.id}",
                     kit.button("Acknowledge", ids.ACK, page.id, style="primary"),
                     kit.button("Decline", ids.DECLINE, page.id, confirm=DECLINE_CONFIRM)),
            kit.context(f":pager: Paging you: acknowledge it, or decline to pass it on{warn}.")]))
    for req in alerted:
        items.append((_request_head(req), [
            _actions(f"{ids.HOME_ALERT_BLOCK}:{req.id}",
                     kit.button("Take it", ids.TAKE, req.id, style="primary"),
                     kit.button("Page someone", ids.PAGE_SOMEONE, req.id)),
            kit.context(":bell: Nobody has acknowledged it: you were alerted as a manager.")]))
    for req in mine:
        items.append((_request_head(req), _mine(user, req)))
    if not items:
        return [kit.section("*What needs you now*\nNothing: no pages are waiting for you and "
                            "nothing is assigned to you.")]
    blocks: kit.Blocks = [kit.section(f"*What needs you now* ({len(items)})")]
    for head, tail in items[:REQUESTS_SHOWN]:
        blocks.append(kit.section(head))
        blocks += tail
    if len(items) > REQUESTS_SHOWN:
        blocks.append(kit.context(f"…and {len(items) - REQUESTS_SHOWN} more open requests."))
    return blocks


def _mine(user: str, req: RequestView) -> kit.Blocks:
    status = md.as_text(req.status)
    if req.assignee == user and status == "acknowledged":
        return [_actions(f"{ids.HOME_REQUEST_BLOCK}:{req.id}",
                         kit.button("Resolve", ids.RESOLVE, req.id, style="primary"),
                         kit.button("Hand over", ids.HANDOVER, req.id)),
                kit.context(":eyes: Yours: resolve it when done, or hand it over.")]
    if status == "open" and user in (req.paged or ()):
        warn = " · :warning: needs translation" if req.needs_translation else ""
        return [kit.context(":pager: Paging you: acknowledge or decline it from the page "
                            f"in your DMs with me{warn}.")]
    return [kit.context(f"Status: {md.escape_clip(status or 'unknown', 40)}")]


def _skills(team: Team, spec: Specialist) -> kit.Blocks:
    """Their skills, and which categories they can be paged for (nothing for a team
    without categories when they hold no skill: there is nothing to say)."""
    if not team.categories and not spec.skills:
        return []
    held = ", ".join(f"`{md.escape(k)}`" for k in spec.skills) or "none"
    lines = [f"*Your skills*: {held}"]
    yes, no = skills.paged_for(team, spec)
    if yes:
        lines.append("You can be paged for: " + ", ".join(
            f"{md.escape(c.label)} (`{md.escape(c.name)}`)" for c in yes))
    if no:
        lines.append("Not for: " + ", ".join(
            f"{md.escape(c.label)} (needs {', '.join(md.escape(k) for k in m)})"
            for c, m in no))
    if team.categories and not yes:
        lines.append("You cannot be paged for any category right now.")
    return [kit.section(_lines(lines[0], lines[1:])),
            kit.context("A manager gives skills with `/oncall skills @you add &lt;skill&gt;`")]


def _coverage_now(roster: Roster, now: datetime) -> kit.Blocks:
    lines = []
    for lang in roster.team.languages:
        name = md.escape(md.language_name(lang))
        found = roster.on_call_for(lang, now)
        if not found:
            lines.append(f"• *{name}*: :warning: nobody on call reads it right now")
            continue
        who = [f"{md.user_mention(a.user)} ({md.escape(a.rotation)}"
               f"{'' if a.tier == 'primary' else ', ' + md.escape(a.tier)})"
               for a in found[:READERS_SHOWN]]
        extra = f" and {len(found) - READERS_SHOWN} more" if len(found) > READERS_SHOWN else ""
        lines.append(f"• *{name}*: {', '.join(who)}{extra}")
    if not lines:
        return [kit.section("*Who's on call now*\nThis team lists no languages.")]
    return [kit.section(_lines("*Who's on call now*, by language (best match first)", lines))]


def _gaps(roster: Roster, now: datetime, horizon_days: int, tz: str | None) -> kit.Blocks:
    gaps = roster.coverage_gaps(now, now + timedelta(days=horizon_days))
    title = (f"*Coverage gaps, next {horizon_days} days* "
             f"(times in {md.escape(tz) if tz else 'UTC'})")
    body = gap_list_text(gaps, tz, max_chars=kit.SECTION_TEXT_MAX - len(title) - 10)
    return [kit.section(f"{title}\n{body}"),
            kit.context("The chart: `/oncall coverage` · fix a gap with `/oncall override` or "
                        "by editing a rotation")]


def home_view(user: str, roster: Roster, now: datetime, open_requests: list[RequestView],
              is_manager: bool, horizon_days: int = 14, waiting: list[PageView] = (),
              alerts: list[RequestView] = (), paused_until: datetime | None = None,
              exposure: kit.Blocks = ()) -> dict[str, Any]:
    """The Home tab of `user` (see the module docstring). `waiting`: the pages waiting
    for their answer; `alerts`: open requests they were alerted about as a manager;
    `paused_until`: the end of the break they are on (bot/slack/breaks.py);
    `exposure`: their exposure section (bot.slack.exposure.home_exposure)."""
    now = timezones.utc(now)
    horizon_days = max(1, int(horizon_days))
    team = roster.team
    spec = roster.specialist(user)
    on_team = spec is not None or any(user in r.members for r in team.rotations) or any(
        o.user == user for o in team.overrides)
    if not on_team and not is_manager:
        return _stranger(user, roster, now)

    tz = spec.timezone if spec is not None else "UTC"
    horizon_end = now + timedelta(days=horizon_days)
    blocks: kit.Blocks = [kit.header(f"On call · {team.name}")]
    # What needs you now comes first (issue 10): at 3 a.m. that is what the tab is for.
    blocks += _needs_you(user, open_requests, list(waiting or ()), list(alerts or ()))
    blocks.append(_DIVIDER)
    if on_team:
        mine = roster.assignments(now, horizon_end, user=user, include_uncovered=False)
        blocks += _status(user, roster, now, tz, mine, horizon_end)
        blocks += break_blocks(spec, now, paused_until) if spec is not None else []
        blocks += _shifts(mine, now, tz, horizon_days)
        if spec is not None:
            blocks += _skills(team, spec)
    else:
        blocks.append(kit.section(f":clipboard: You manage *{md.escape(team.name)}*. You're "
                                  "not on a rotation, so there are no shifts of your own to show."))
    blocks.append(_DIVIDER)
    blocks += [*exposure, _DIVIDER] if exposure else []
    blocks += _coverage_now(roster, now)
    if is_manager:
        blocks.append(_DIVIDER)
        blocks += _gaps(roster, now, horizon_days, spec.timezone if spec is not None else None)
    footer = [f"Updated {md.slack_date(now)}", "`/oncall help` for commands"]
    if is_manager:
        footer.insert(1, "You can edit this team's rotations")
    blocks.append(kit.context(" · ".join(footer)))
    return {"type": "home", "blocks": kit.cap(blocks, HOME_BLOCKS_MAX)}

