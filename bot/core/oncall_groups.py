"""On-call user groups (`oncall_groups`): who each group should hold at an instant, and
what the managers are told when Slack will not take an update. Pure: no I/O, the
on-call assignments and the instant are arguments; texts are neutral (`bot.core.refs`).

A language's group holds the specialists on call who read that language at any
strength; the `all` group holds everyone on call. Slack refuses an empty user group, so
a group whose language nobody on call reads keeps its last members (see `uncovered_text`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from bot.core import refs
from bot.core.checks import LANGUAGE_NAMES
from bot.core.model import ALL_ON_CALL, Team
from bot.core.roster import Assignment, Roster

NOBODY = "nobody"  # the reason the managers hear of an uncovered group, once an hour


def members(team: Team, on_call: Iterable[Assignment]) -> dict[str, tuple[str, ...]]:
    """User group id -> the user ids it should hold, sorted (empty: nobody qualifies)."""
    users = {a.user for a in on_call if a.user}
    out: dict[str, tuple[str, ...]] = {}
    for key, group in team.oncall_groups:
        if key == ALL_ON_CALL:
            chosen = users
        else:
            chosen = {u for u in users
                      if (s := team.specialist(u)) is not None and s.reads(key)}
        out[group] = tuple(sorted(chosen))
    return out


def next_change(roster: Roster, now: datetime, horizon: datetime) -> datetime:
    """The first instant in (now, horizon] at which who is on call may change (a piece
    starts or ends), else `horizon`."""
    pieces = roster.assignments(now, horizon, include_uncovered=False)
    edges = [t for p in pieces for t in (p.start, p.end) if now < t <= horizon]
    return min([horizon, *edges])


def label(key: str) -> str:
    """'Arabic' for `ar`, 'everyone on call' for `all`."""
    if key == ALL_ON_CALL:
        return "everyone on call"
    return LANGUAGE_NAMES.get(key, key)


@dataclass(frozen=True)
class Cause:
    key: str  # what the managers' notice is deduplicated on
    words: str  # what went wrong, for a person
    fix: str  # what a manager can do about it
    lasting: bool  # a retry will not fix it by itself (retried slowly all the same)


_SCOPE = Cause("permission", "the bot is not allowed to change user groups",
               "Give the Slack app the `usergroups:write` permission and reinstall it; where "
               "only workspace admins may edit user groups, an admin has to allow it.", True)
_GROUP = Cause("group", "Slack has no such user group (it may have been deleted or "
               "disabled)", "Check the group's id under `oncall_groups` in the team's schedule "
               f"file ({refs.command('oncall export')}, then re-import it).", True)
_PEOPLE = Cause("people", "Slack refused someone in the list (a deactivated or guest "
                "account?)", "Check the entries of the people on call in the schedule.", True)
_BUSY = Cause("busy", "Slack kept turning the update away (rate limits or an outage)",
              "Nothing to do unless this goes on: the bot keeps trying.", False)
_OTHER = Cause("other", "Slack refused the update",
               "Tell whoever runs the bot, with this message.", True)
CAUSES: dict[str, Cause] = {
    "missing_scope": _SCOPE, "not_allowed_token_type": _SCOPE, "no_permission": _SCOPE,
    "permission_denied": _SCOPE, "restricted_action": _SCOPE, "not_authed": _SCOPE,
    "invalid_auth": _SCOPE, "token_revoked": _SCOPE, "paid_teams_only": _SCOPE,
    "no_such_subteam": _GROUP, "subteam_not_found": _GROUP, "is_disabled": _GROUP,
    "invalid_users": _PEOPLE, "user_not_found": _PEOPLE, "invalid_user": _PEOPLE,
    "ratelimited": _BUSY, "unavailable": _BUSY,
}  # fmt: skip


def cause(code: str) -> Cause:
    return CAUSES.get(code, _OTHER)


def refused_text(group: str, key: str, code: str, wanted: Iterable[str],
                 retry_words: str) -> str:
    """What the managers read when Slack will not take a group's new members."""
    c = cause(code)
    why = c.words if c is not _OTHER else f"{c.words} ({code})"
    return (f"The on-call group {refs.group(group)} ({label(key)}) could not be updated: "
            f"{why}. It should now hold {refs.people(wanted)}; until it can be updated it "
            f"keeps its previous members, so mentions of it reach them. {c.fix} "
            f"The bot tries again {retry_words}.")


def uncovered_text(group: str, key: str, kept: Iterable[str] | None) -> str:
    """What the managers read when nobody on call qualifies for a group: Slack does not
    allow an empty user group, so it keeps its last members."""
    who = refs.people(kept) if kept else "whoever Slack has in it"
    return (f"Nobody on call now reads {label(key)}, so the on-call group {refs.group(group)} "
            f"keeps its last members ({who}): Slack does not allow an empty user group. "
            f"Mentions of the group reach them although they are off shift. Cover the gap "
            f"with {refs.command('oncall override')}; the group follows as soon as someone "
            "who reads it is on call.")
