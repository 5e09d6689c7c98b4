"""The grammar of `/oncall pause`: `pause <duration>`, `pause @user <duration>`
(managers), `pause end [@user]` (also `stop`, `resume`), and `pause` alone (am I on a
break?). Durations are minutes or hours: 15m, 30m, 1h, 90min, 2 hours; the bounds
(`bot.core.breaks`) are checked here too, so a bad value never reaches the service."""

from __future__ import annotations

import re
from datetime import timedelta

from bot.core.breaks import break_length_problem
from bot.slack.oncall_args import Args, is_person, user_arg
from bot.slack.oncall_commands import Pause
from bot.slack.oncall_text import decode, quote

__all__ = ["p_pause"]

END_WORDS = ("end", "stop", "resume", "over", "done")
_LENGTH = re.compile(r"([0-9]{1,4})\s*(m|min|mins|minute|minutes|h|hr|hrs|hour|hours)")


def _length(c: Args, text: str) -> timedelta:
    m = _LENGTH.fullmatch(text.strip().lower())
    if not m:
        c.fail(f"{quote(text)} is not a length of time; give minutes or hours, such as "
               "15m, 30m or 1h.")
    n = int(m.group(1))
    length = timedelta(hours=n) if m.group(2).startswith("h") else timedelta(minutes=n)
    problem = break_length_problem(length)
    if problem:
        c.fail(f"{problem[0].upper()}{problem[1:]}.")
    return length


def p_pause(args: list[str]) -> Pause:
    c = Args("pause", args)
    words = [decode(a) for a in args]
    user = None
    people = [i for i, w in enumerate(args) if is_person(w)]
    if len(people) > 1:
        c.fail("Name one person at most.")
    if people:
        user = user_arg(c, args[people[0]])
        words = [w for i, w in enumerate(words) if i != people[0]]
    if not words:
        if user is not None:
            c.fail("Say how long the break is, e.g. 1h, or `end` to end it.")
        return Pause()
    if words[0].lower() in END_WORDS:
        if len(words) > 1:
            c.fail(f"Unexpected {quote(' '.join(words[1:]))} after {words[0]}.")
        return Pause(user=user, end=True)
    # "30 min", "1 hour": a number and its unit may come as two words.
    return Pause(length=_length(c, " ".join(words)), user=user)
