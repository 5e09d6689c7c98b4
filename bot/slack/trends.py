"""`/oncall trends [hours]` (managers): the trend digest, privately (PRODUCT.md "Crisis
mode, sweeps, trends, reports"). The numbers come from `bot.services.trends`; the blocks
are the scheduled digest's (bot.slack.render.trends)."""

from __future__ import annotations

from bot.services.trends import MAX_HOURS, trends_digest
from bot.slack.oncall_args import Args, count_arg
from bot.slack.oncall_commands import Trends
from bot.slack.oncall_replies import Reply
from bot.slack.oncall_text import decode
from bot.slack.render.trends import digest_blocks

__all__ = ["p_trends", "run_trends"]


def p_trends(args: list[str]) -> Trends:
    """`/oncall trends [hours]` (also `hours=6`)."""
    c = Args("trends", args)
    c.arity(["[hours]"], optional=1)
    if not args:
        return Trends()
    tok = decode(args[0])
    if tok.lower().startswith("hours="):
        tok = tok[6:]
    return Trends(count_arg(c, tok, "hours", 1, MAX_HOURS))


def run_trends(deps, roster, user: str, hours: int) -> Reply:
    """The reply to `/oncall trends [hours]` (a ServiceError for anyone not a manager).
    `deps`: the /oncall handler's (its read sessions, manager directory and clock)."""
    team = roster.team
    digest = trends_digest(deps.reports_session_factory, team, deps.clock.now(), hours,
                           deps.managers.is_manager(team, user))
    text, blocks = digest_blocks(digest.to_json())
    return Reply(text, blocks)
