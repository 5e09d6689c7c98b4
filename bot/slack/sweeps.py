"""`/oncall sweep start|stop|status` (PRODUCT.md "Crisis mode, sweeps, trends, reports"):
managers start and stop sweeps; anyone of the team may see which run. Parsing here (the
bounds of `every=` are `bot.core.sweeps`'), the work in `bot.services.sweeps`."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta

from bot.core import parsers, timezones
from bot.core import sweeps as rules
from bot.core.parsers import ParseError
from bot.core.roster import Roster
from bot.services.errors import ServiceError
from bot.slack.oncall_args import Args, Clockface, language_arg
from bot.slack.oncall_commands import LocalTime, SweepCmd
from bot.slack.oncall_text import decode, quote

__all__ = ["p_sweep", "run_sweep"]

ACTIONS = ("start", "stop", "status")
_LENGTH = re.compile(r"([0-9]{1,4})\s*(m|min|mins|minutes?|h|hr|hrs|hours?|d|days?)")
_UNITS = {"m": 60, "h": 3600, "d": 86400}


def _length(text: str) -> timedelta | None:
    m = _LENGTH.fullmatch(text.strip().lower())
    if not m or int(m.group(1)) == 0:
        return None
    return timedelta(seconds=int(m.group(1)) * _UNITS[m.group(2)[0]])


def _languages(c: Args, tok: str) -> tuple[str, ...]:
    """`all` -> () (every language of the team); `ar` or `ar,fr` -> the codes."""
    v = decode(tok)
    if v.lower() == "all":
        return ()
    codes = [language_arg(c, part, "language") for part in v.split(",") if part]
    if not codes:
        c.fail(f"{quote(v)} is not a language; give a code such as ar, or all.")
    return tuple(dict.fromkeys(codes))


def _until(c: Args, v: str) -> tuple[LocalTime | None, timedelta | None]:
    length = _length(v)
    if length is not None:
        return None, length
    try:
        when = (parsers.parse_when_typed(v, c.now.now, c.now.tz) if c.now is not None
                else parsers.parse_when(v))
    except ParseError:
        c.fail(f"until={quote(v)} is neither a time nor a length; give a time in your zone "
               "(18:00, tomorrow, 2026-12-04T06:00) or a length (3h, 90m).")
    if isinstance(when, datetime):
        return LocalTime(when, date_only=False), None
    # A date: the whole of that day (until the next midnight), as `<to>` everywhere.
    return LocalTime(datetime.combine(when, time()) + timedelta(days=1), date_only=True), None


def _start(c: Args, tokens: list[str]) -> SweepCmd:
    if not tokens or "=" in tokens[0]:
        c.fail("Missing the language: give a language code or all, e.g. ar.")
    langs = _languages(c, tokens[0])
    every = until = until_in = None
    seen: set[str] = set()
    for tok in tokens[1:]:
        key, eq, value = decode(tok).partition("=")
        key = key.lower()
        if not eq or key not in ("every", "until") or not value:
            c.fail(f"{quote(decode(tok))} is not an option; use every=30m or until=18:00.")
        if key in seen:
            c.fail(f"{key}= is given twice; give it once.")
        seen.add(key)
        if key == "every":
            every = _length(value)
            if every is None:
                c.fail(f"every={quote(value)} is not a length of time; give minutes or "
                       "hours, such as 15m, 30m or 2h.")
            problem = rules.every_problem(every)
            if problem:
                c.fail(f"every={quote(value)}: {problem}; give 5m to 12h.")
        else:
            until, until_in = _until(c, value)
    return SweepCmd("start", langs, every, until, until_in)


def p_sweep(args: list[str], now: Clockface | None = None) -> SweepCmd:
    """`sweep start <lang|all> [every=] [until=]`, `sweep stop [<lang|all>]`, `sweep
    [status]`."""
    c = Args("sweep", args, now=now)
    if not args:
        return SweepCmd("status")
    action = decode(args[0]).lower()
    if action not in ACTIONS:
        c.fail(f"{quote(action)} is not a sweep command; use start, stop or status.")
    rest = args[1:]
    if action == "start":
        return _start(c, rest)
    if action == "status" and rest:
        c.fail("`sweep status` takes nothing more.")
    if len(rest) > 1:
        c.fail(f"Unexpected {quote(' '.join(decode(a) for a in rest[1:]))}; give at most "
               "one language, or all.")
    return SweepCmd(action, _languages(c, rest[0]) if rest else ())


def run_sweep(d, roster: Roster, user: str, cmd: SweepCmd) -> str:
    """`d`: the /oncall deps (sweeps, managers, clock)."""
    team = roster.team
    if cmd.action == "status":
        return d.sweeps.status(team)
    if not d.managers.is_manager(team, user):
        raise ServiceError(f"only managers ({d.managers.describe_managers(team)}) can "
                           f"{cmd.action} a sweep; `/oncall sweep status` shows which run")
    if cmd.action == "stop":
        return d.sweeps.stop(team, user, cmd.languages)
    until = None
    if cmd.until_in is not None:
        until = d.clock.now() + cmd.until_in
    elif cmd.until is not None:
        own = roster.specialist(user)
        until = timezones.to_utc(cmd.until.at, own.timezone if own else "UTC")
    return d.sweeps.start(team, user, cmd.languages, cmd.every, until)
