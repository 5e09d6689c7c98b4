"""`/oncall exposure [days]` and the Home tab's exposure section: how much graphic
content each person has handled (PRODUCT.md "Graphic content and the people who read
it"). A manager sees everyone of the team; a specialist only their own line.

The numbers come from `bot.services.exposure.exposure_report` (transport-neutral rows);
this module parses the command and renders the rows. Times are Slack date tokens (each
reader sees their own zone) with the reader's roster zone as the fallback.
"""

from __future__ import annotations

from datetime import datetime

from bot.core.wellbeing import window_words
from bot.services.exposure import MAX_DAYS, ExposureLine, ExposureReport, exposure_report
from bot.slack.oncall_args import Args, count_arg
from bot.slack.oncall_commands import Exposure
from bot.slack.oncall_replies import Reply
from bot.slack.oncall_text import decode
from bot.slack.render import blocks as kit
from bot.slack.render import mrkdwn as md
from bot.slack.render.pages import local_time

__all__ = ["exposure_blocks", "exposure_reply", "home_exposure", "p_exposure", "run_exposure"]

LINES_PER_SECTION = 12
HOME_SHOWN = 12


def p_exposure(args: list[str]) -> Exposure:
    """`/oncall exposure [days]` (also `days=7`)."""
    c = Args("exposure", args)
    c.arity(["[days]"], optional=1)
    if not args:
        return Exposure()
    tok = decode(args[0])
    if tok.lower().startswith("days="):
        tok = tok[5:]
    return Exposure(count_arg(c, tok, "days", 1, MAX_DAYS))


def _period(report: ExposureReport, days: int | None) -> str:
    if days is None:
        return f"last {window_words(report.window)}"
    return "last day" if days == 1 else f"last {days} days"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _now_words(line: ExposureLine, report: ExposureReport, tz: str | None) -> str:
    """'now 6/6 (at the limit), on a break until 13:00'."""
    mark = " *(at the limit)*" if line.at_limit_now else ""
    words = f"now {line.now_points}/{report.limit}{mark}"
    if line.paused_until is not None:
        words += f", on a break until {local_time(line.paused_until, tz)}"
    return words


def _line(line: ExposureLine, report: ExposureReport, tz: str | None, own: bool) -> str:
    who = "You" if own else f"{md.user_mention(line.user)}"
    parts = [f"{_plural(line.requests, 'sensitive request')}, "
             f"{_plural(line.points, 'point')}"]
    if line.reached_limit:
        parts.append("*reached the limit*")
    parts.append(_plural(line.pauses, "break") if line.pauses else "no breaks")
    parts.append(_now_words(line, report, tz))
    return f"• {who}: " + " · ".join(parts)


def exposure_blocks(report: ExposureReport, days: int | None, tz: str | None,
                    viewer: str) -> kit.Blocks:
    """The report as blocks: a title, what the numbers mean, a line per person."""
    period = _period(report, days)
    whose = "Exposure" if report.everyone else "Your exposure"
    blocks: kit.Blocks = [kit.header(f"{whose}, {period}")]
    blocks.append(kit.context(
        f"Team {md.escape(report.team)} · limit {report.limit} points per "
        f"{window_words(report.window)} · since {md.slack_date(report.since)}"))
    lines = [_line(x, report, tz, x.user == viewer and not report.everyone)
             for x in report.lines]
    if not lines:
        blocks.append(kit.section("Nobody on the team yet."))
    for i in range(0, len(lines), LINES_PER_SECTION):
        blocks.append(kit.section("\n".join(lines[i:i + LINES_PER_SECTION])))
    blocks.append(kit.context(
        "Points: each sensitive request someone acknowledged or opened, by its category's "
        "weight. Routing passes over anyone at the limit while another reader is free."))
    return kit.cap(blocks)


def exposure_reply(report: ExposureReport, days: int | None, tz: str | None,
                   viewer: str) -> Reply:
    period = _period(report, days)
    if report.everyone:
        reached = sum(1 for x in report.lines if x.reached_limit)
        text = (f"Exposure, {period}: {_plural(len(report.lines), 'person')}, "
                f"{reached} reached the limit of {report.limit}.")
    else:
        mine = report.lines[0]
        text = (f"Your exposure, {period}: {_plural(mine.requests, 'sensitive request')}, "
                f"{_plural(mine.points, 'point')} (limit {report.limit}).")
    return Reply(text, exposure_blocks(report, days, tz, viewer))


def run_exposure(session_factory, roster, user: str, is_manager: bool, now: datetime,
                 days: int | None) -> Reply:
    """The reply to `/oncall exposure [days]` (a ServiceError for someone neither a
    manager nor a specialist of the team)."""
    report = exposure_report(session_factory, roster.team, user, is_manager, now, days)
    spec = roster.specialist(user)
    return exposure_reply(report, days, spec.timezone if spec else None, user)


def home_exposure(session_factory, roster, user: str, is_manager: bool,
                  now: datetime) -> kit.Blocks:
    """The Home tab's compact section: a manager's "Exposure (last 8 hours)" with each
    person's points against the limit, or a specialist's own line; nothing for anyone
    else."""
    team = roster.team
    spec = roster.specialist(user)
    if spec is None and not is_manager:
        return []
    report = exposure_report(session_factory, team, user, is_manager, now)
    tz = spec.timezone if spec else None
    period = window_words(report.window)
    if not report.everyone:
        [mine] = report.lines
        return [kit.section(f":shield: *Your exposure (last {period})*: "
                            + _now_words(mine, report, tz)
                            + " · " + _plural(mine.requests, "sensitive request"))]
    rows = [x for x in report.lines if x.now_points or x.paused_until][:HOME_SHOWN]
    lines = [f"• {md.user_mention(x.user)}: " + _now_words(x, report, tz) for x in rows]
    rest = len(report.lines) - len(rows)
    if rest:
        lines.append(f"{_plural(rest, 'other')} at 0/{report.limit}")
    title = f":shield: *Exposure (last {period})*, limit {report.limit} points"
    return [kit.section(title + "\n" + "\n".join(lines)),
            kit.context("`/oncall exposure 7` for the last week")]
