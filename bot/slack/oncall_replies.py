"""The structured replies of `/oncall me`, `who`, `shifts` and `report`: Block Kit with a
header, a line per shift or per language, and context lines, plus a plain `text` that
says the same in lines (Slack shows it in notifications and where blocks cannot be
drawn).

Times are Slack date tokens, so each reader sees them in their own zone; `me` names the
person's own zone, as the service wrote it."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.core import routing
from bot.core.roster import Assignment, Roster
from bot.services.report import GroupStats, Report
from bot.services.requests import PagingOrder
from bot.services.rotation_reads import MeView, me_text
from bot.services.schedules import WhoAnswer
from bot.slack import render
from bot.slack.render import blocks as kit
from bot.slack.render.mrkdwn import escape, severity_label
from bot.slack.text import from_neutral

LINES_PER_SECTION = 12  # a section holds 3000 characters; a shift line with two date
#                         tokens is about 200, so 12 leave room to spare
MAX_LINES = 40  # then "...and N more; try a shorter span"
ZONE_NOTE = "Times are shown in your own time zone."


@dataclass(frozen=True)
class Reply:
    """An ephemeral answer: `text` (neutral references, rendered by the handler) and
    `blocks` (already Slack's)."""

    text: str
    blocks: list[dict] = field(default_factory=list)


def _lines(title: str, lines: list[str]) -> list[dict]:
    """`lines` under a bold title, in as many sections as their length needs."""
    out = []
    for i in range(0, max(len(lines), 1), LINES_PER_SECTION):
        chunk = lines[i:i + LINES_PER_SECTION] or ["—"]
        head = f"*{title}*\n" if i == 0 and title else ""
        out.append(kit.section(head + "\n".join(chunk)))
    return out


def _span(a: Assignment) -> str:
    """Start → end as date tokens: each reader sees both in their own zone. The end keeps
    its date: whether a shift crosses midnight depends on the reader's zone."""
    return f"{render.slack_date(a.start)} → {render.slack_date(a.end)}"


_KIND = {"override": " _(override)_", "substitute": " _(covering)_",
         "uncovered": " *UNCOVERED*"}


def shift_line(roster: Roster, a: Assignment, *, who: bool = True) -> str:
    person = f"<@{a.user}>" if a.user else "*nobody*"
    spec = roster.specialist(a.user) if a.user else None
    langs = f" ({', '.join(spec.languages)})" if spec else ""
    return (f"• {_span(a)} · `{a.rotation}`" + (f" · {person}{langs}" if who else "")
            + _KIND.get(a.kind, ""))


# -- who -----------------------------------------------------------------------------------


def who_reply(roster: Roster, ans: WhoAnswer, text: str) -> Reply:
    """`/oncall who [lang]`: who is on call now, a line per language (or, for one
    language, a line per reader, best first). `text` is the plain fallback."""
    if ans.language:
        name = render.language_name(ans.language)
        if not ans.on_call:
            backups = ", ".join(f"<@{u}>" for u in ans.backups)
            body = [kit.section(f"Nobody on call reads {escape(name)} now.")]
            if backups:
                body.append(kit.section(f"*Off-shift backups who read it*\n{backups}"))
            body.append(kit.context("A request in this language pages the backups, then "
                                    "the managers."))
            return Reply(text, [kit.header(f"On call for {name}"), *body])
        lines = [shift_line(roster, a) for a in ans.on_call]
        return Reply(text, [kit.header(f"On call for {name}"),
                            *_lines("Best first", lines), kit.context(ZONE_NOTE)])
    by_language = []
    for lang in roster.team.languages:
        on = roster.on_call_for(lang, ans.at)
        people = ", ".join(f"<@{a.user}>" for a in on) or "*nobody*"
        by_language.append(f"• *{escape(render.language_name(lang))}* ({lang}): {people}")
    shifts = [shift_line(roster, a) for a in ans.on_call]
    return Reply(text, [kit.header("On call now"), *_lines("By language", by_language),
                        *_lines("Shifts going on now", shifts or ["nobody is on shift"]),
                        kit.context(ZONE_NOTE + " `/oncall who ar` lists one language's "
                                    "readers, best first.")])


# -- who would be paged (a language, a category) -------------------------------------------


def _trained(order: PagingOrder) -> str:
    """' who handles Child safety' when the category needs skills, else ''."""
    c = order.category
    return f" who handles {c.label or ', '.join(c.skills)}" if c.skills else ""


def _each(order: PagingOrder) -> str:
    counts = sorted(order.open(c.user) for c in order.candidates)
    return (f"{counts[0]} open each" if counts[0] == counts[-1]
            else f"{counts[0]} to {counts[-1]} open each")


def _nobody(order: PagingOrder) -> str:
    c = order.category
    if c.skills:
        return (f"Nobody on shift or on backup is trained for {c.label or c.name}: a request "
                "goes to the managers.")
    return "Nobody is on call or on backup: a request goes to the managers."


def _level_title(order: PagingOrder) -> str:
    name = render.language_name(order.language)
    source = order.candidates[0].source
    if source == routing.BACKUP:
        return f"Nobody on shift{_trained(order)} reads {name}: off-shift backups, in order"
    if source == routing.TRANSLATION:
        return (f"Nobody on shift or on backup{_trained(order)} reads {name}: on call, "
                "needs translation, in order")
    return "Best first"


def _candidate_line(roster: Roster, order: PagingOrder, i: int,
                    c: routing.Candidate) -> str:
    spec = roster.specialist(c.user)
    langs = f" · reads {', '.join(spec.languages)}" if spec else ""
    where = f" · `{c.rotation}`" if c.rotation else ""
    n = order.open(c.user)
    busy = (f" · *busy* (at the limit of {order.load.capacity})" if order.busy(c.user)
            else "")
    care = order.load.care  # a sensitive category: exposure weighs, the limit shows
    if order.load.over_limit(c.user):
        busy += f" · *at the exposure limit* ({care.exposure(c.user)}/{care.limit} points)"
    return f"{i}. <@{c.user}>{where}{langs} · {n} open{busy}"


def paging_reply(roster: Roster, orders: list[PagingOrder], category_given: bool) -> Reply:
    """`/oncall who <lang> [cat:<name>]`: who a request would page now, in order, and
    who is busy; `/oncall who cat:<name>`: the same, a line per language."""
    cat = orders[0].category
    label = cat.label or cat.name
    if len(orders) == 1:
        order = orders[0]
        name = render.language_name(order.language)
        title = f"On call for {name}" + (f" · {label}" if category_given else "")
        if not order.candidates:
            text = _nobody(order)
            return Reply(f"*{title}*\n{text}", [kit.header(title), kit.section(escape(text))])
        lines = [_candidate_line(roster, order, i, c)
                 for i, c in enumerate(order.candidates, 1)]
        notes = []
        if all(order.busy(c.user) for c in order.candidates):
            who = {routing.BACKUP: f"Every off-shift {name} backup",
                   routing.TRANSLATION: "Everyone on call"}.get(
                order.candidates[0].source, f"Every {name} reader on call")
            notes.append(f"{who}{_trained(order)} is busy ({_each(order)}): the least "
                         "loaded is paged first.")
        elif any(order.busy(c.user) for c in order.candidates):
            notes.append(f"Busy: {order.load.capacity} or more open requests; paged only "
                         "when everyone above is busy too.")
        notes.append("A request pages the first; if nobody acknowledges, the escalation "
                     "policy goes on down the list and beyond.")
        text = "\n".join([f"*{title}*", f"*{_level_title(order)}*", *lines, *notes])
        shown = _lines(escape(_level_title(order)), lines[:MAX_LINES])
        return Reply(text, [kit.header(title), *shown,
                            kit.context(" ".join(escape(n) for n in notes))])
    by_language = []
    for order in orders:
        name = render.language_name(order.language)
        if not order.candidates:
            who = "*nobody trained for it*" if cat.skills else "*nobody*"
        else:
            tag = {routing.BACKUP: " (off-shift backup)",
                   routing.TRANSLATION: " (needs translation)"}.get(
                order.candidates[0].source, "")
            who = ", ".join(f"<@{c.user}>" + (" _(busy)_" if order.busy(c.user) else "")
                            for c in order.candidates[:5]) + tag
        by_language.append(f"• *{escape(name)}* ({order.language}): {who}")
    title = f"On call for {label}"
    note = ("First listed is paged first. Nobody trained for it: a request goes to the "
            "managers. `/oncall who ar cat:" + cat.name + "` lists one language in full.")
    return Reply("\n".join([f"*{title}*", *by_language, note]),
                 [kit.header(title), *_lines("By language", by_language), kit.context(note)])


# -- shifts ---------------------------------------------------------------------------------


def shifts_reply(roster: Roster, found: list[Assignment], what: str, days: int,
                 mine: bool, text: str) -> Reply:
    """`/oncall shifts`: a line per shift. `what` names whose (mrkdwn: a rotation in code,
    a mention, or "all rotations"); `mine`: they are the asker's own."""
    title = f"Your shifts, next {days} day(s)" if mine else f"Shifts, next {days} day(s)"
    lines = [shift_line(roster, a, who=not mine) for a in found[:MAX_LINES]]
    if len(found) > MAX_LINES:
        lines.append(f"...and {len(found) - MAX_LINES} more; try a shorter span")
    blocks = [kit.header(title)]
    if not mine:
        blocks.append(kit.context(f"Of {what}"))
    blocks += _lines("", lines or [f"No shifts in the next {days} day(s)."])
    blocks.append(kit.context(ZONE_NOTE + " Time off: `/oncall away <from> <to>`; "
                              "someone to take one: `/oncall swap` or `/oncall cover`."))
    return Reply(text, kit.cap(blocks))


# -- me -------------------------------------------------------------------------------------


def me_reply(v: MeView) -> Reply:
    """`/oncall me`: who you are to the bot, your next shifts (a line each, in your own
    zone) and your time off."""
    text = me_text(v)
    role = "You are a manager of this team." if v.manager else ""
    if v.name is None:
        return Reply(text, [kit.section(from_neutral(
            f"You are not a specialist of team {v.team}. {role}".strip())),
            kit.context("A manager adds specialists with `/oncall specialist @user "
                        "languages=ar,en timezone=Area/City`.")])
    rots = [f"{n} ({p} of {size})" for n, p, size in v.rotations]
    blocks = [
        kit.header(v.name),
        kit.context(f"<@{v.user}> · team {escape(v.team)}" + (f" · {role}" if role else "")),
        kit.fields([("Time zone", escape(v.timezone)),
                    ("Reads (strongest first)", ", ".join(v.languages)),
                    ("Backup off shift", ", ".join(v.backup) or "no"),
                    ("Rotations", escape(", ".join(rots)) or "none"),
                    ("Skills", escape(", ".join(v.skills)) or "none")]
                   + ([("Public holidays", escape(v.holidays))] if v.holidays else [])),
        *([kit.context(escape(f"You {v.paged_for}."))] if v.paged_for else []),
        *_lines(f"Next shifts (next {v.days} days, your time)",
                [f"• {escape(s)}" for s in v.shifts] or [f"None in the next {v.days} days."]),
    ]
    if v.time_off:
        blocks += _lines("Time off", [f"• {escape(a)} to {escape(b)}" for a, b in v.time_off])
    blocks.append(kit.context("Time off: `/oncall away tomorrow fri` · swap a shift: "
                              "`/oncall swap @someone <date>` · ask for cover: "
                              "`/oncall cover <from> <to>`"))
    return Reply(text, blocks)


# -- report ---------------------------------------------------------------------------------


def _dur(s: float | None) -> str:
    if s is None:
        return "-"
    return f"{s:.0f}s" if s < 90 else f"{s / 60:.1f} min"


def stats_line(label: str, s: GroupStats) -> str:
    """One group: filed, acknowledged (how fast), escalated, open."""
    return (f"• *{label}*: {s.requests} filed · {s.acknowledged} acknowledged "
            f"(median {_dur(s.median_ack_s)}, p90 {_dur(s.p90_ack_s)}) · {s.escalated} "
            f"escalated · {s.fallback} backup/translation · {s.declines} declined · "
            f"{s.resolved} resolved · {s.open} open")


def report_reply(report: Report, days: int, text: str) -> Reply:
    since = f"{report.start:%Y-%m-%d} to {report.end:%Y-%m-%d} (UTC)"
    blocks = [kit.header(f"Response report, last {days} day(s)"),
              kit.context(f"Team {escape(report.team)} · {since} · {report.total} "
                          f"request(s), {report.escalated} escalated")]
    if not report.languages:
        blocks.append(kit.section("No requests in this period."))
        return Reply(text, blocks)
    blocks += _lines("By severity", [stats_line(severity_label(s.key), s)
                                     for s in report.severities])
    blocks += _lines("By language", [
        stats_line(f"{escape(render.language_name(s.key))} ({s.key})", s)
        for s in report.languages])
    blocks.append(kit.context(
        "Escalated: went past its first step (a later step, the managers, or a second "
        "round). Backup/translation: paged someone off shift, or who needed translation."))
    return Reply(text, kit.cap(blocks))
