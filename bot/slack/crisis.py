"""`/oncall crisis start|status|end ...` (PRODUCT.md "Crisis mode"): managers start and
end a crisis; anyone of the team may ask its status (answered privately). Parsing
here; the work in `bot.services.crisis`."""

from __future__ import annotations

import re

from bot.core.model import SEVERITIES
from bot.core.roster import Roster
from bot.services.crisis import CrisisService, Ended
from bot.services.errors import ServiceError
from bot.slack.oncall_args import Args, language_arg
from bot.slack.oncall_commands import CrisisCmd
from bot.slack.oncall_text import decode, quote

__all__ = ["ACTIONS", "p_crisis", "run_crisis"]

ACTIONS = ("start", "status", "update", "end")
_NAME = re.compile(r"[^\s=]{1,80}")
_WORD = re.compile(r"[^\s,]{1,40}")


def p_crisis(args: list[str]) -> CrisisCmd:
    """`crisis start <name> [languages=] [severity=] [match=]`, `crisis status [name]`,
    `crisis update [name] <text>`, `crisis end [name]`."""
    c = Args("crisis", args)
    if not args:
        c.fail("Missing start, status, update or end.")
    action = decode(args[0]).lower()
    if action not in ACTIONS:
        c.fail(f"{quote(action)} is not a crisis command; use start, status, update or end.")
    rest = [decode(a) for a in args[1:]]
    if action == "update":
        if not rest:
            c.fail("Missing the update text: say what changed, e.g. `/oncall crisis update "
                   "the video is down on every site`.")
        return CrisisCmd("update", text=" ".join(rest))
    if action != "start":
        if len(rest) > 1:
            c.fail(f"Unexpected {quote(' '.join(rest[1:]))}; give at most the crisis name.")
        if rest and not _NAME.fullmatch(rest[0]):
            c.fail(f"Crisis name {quote(rest[0])} must be one word, e.g. beirut-port.")
        return CrisisCmd(action, rest[0] if rest else None)
    if not rest or "=" in rest[0]:
        c.fail("Missing the crisis name; give it first, e.g. beirut-port.")
    if not _NAME.fullmatch(rest[0]):
        c.fail(f"Crisis name {quote(rest[0])} must be one word of at most 80 characters, "
               "e.g. beirut-port.")
    fields = _start_options(c, rest[1:])
    return CrisisCmd("start", rest[0], fields.get("languages", ()), fields.get("severity"),
                     fields.get("match", ()))


def _start_options(c: Args, tokens: list[str]) -> dict:
    fields: dict = {}
    for tok in tokens:
        key, eq, value = tok.partition("=")
        key = {"lang": "languages", "language": "languages", "sev": "severity",
               "words": "match"}.get(key.lower(), key.lower())
        if not eq or key not in ("languages", "severity", "match") or not value:
            c.fail(f"{quote(tok)} is not an option; use languages=ar,fr, severity=sev1 "
                   "or match=word,word.")
        if key in fields:
            c.fail(f"{key}= is given twice; give it once.")
        if key == "languages":
            codes = tuple(language_arg(c, v, "languages item") for v in value.split(","))
            fields[key] = tuple(dict.fromkeys(codes))
        elif key == "severity":
            if value.lower() not in SEVERITIES:
                c.fail(f"Severity {quote(value)} must be sev1, sev2 or sev3.")
            fields[key] = value.lower()
        else:
            words = [w for w in value.split(",") if w]
            if not words or not all(_WORD.fullmatch(w) for w in words):
                c.fail(f"match={quote(value)} must be words separated by commas, "
                       "e.g. match=port,blast.")
            fields[key] = tuple(dict.fromkeys(w.lower() for w in words))
    return fields


def run_crisis(crises: CrisisService, roster: Roster, user: str, manager: bool,
               describe_managers: str, cmd: CrisisCmd) -> str | Ended:
    if cmd.action in ("start", "update", "end") and not manager:
        raise ServiceError(f"only managers ({describe_managers}) can {cmd.action} a crisis; "
                           "`/oncall crisis status` shows how it is going")
    if cmd.action == "start":
        return crises.start(roster.team, user, cmd.name or "", cmd.languages, cmd.severity,
                            cmd.words)
    if cmd.action == "update":
        return crises.update(roster.team, user, cmd.text)
    if cmd.action == "end":  # the reply is `Ended.text`; `crisis_end` adds the chart
        return crises.end(roster, user, cmd.name)
    return crises.status(roster.team, cmd.name)
