"""Who may edit a team's rotations: its `managers`, or members of its `manager_group`.

The user group's members come from Slack (`usergroups.users.list`, Tier 2: about 20
calls a minute per workspace), so `ManagerDirectory` caches them per group for `ttl`
seconds. One fetch per group at a time: threads asking about the same group while it
is being fetched wait for that answer instead of calling Slack again; other groups
are not held up.

When Slack fails (an API error, a rate limit that outlasted the client's retries, a
connection error, a timeout), the last members fetched are used if there are any, else
only the team's `managers` list counts; a warning is logged, and Slack is asked again
after `retry_after` seconds (at most `ttl`) rather than on every check.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from slack_sdk.errors import SlackApiError, SlackClientError

from bot.core.model import Team
from bot.slack.render.mrkdwn import group_mention, user_mention

__all__ = ["ManagerDirectory", "describe_managers"]

log = logging.getLogger(__name__)


def describe_managers(team: Team) -> str:
    """Who may do it, for refusals: "<@U1>, <@U2> or members of <!subteam^S1>"."""
    people: list[str] = []
    for uid in team.managers:
        mention = user_mention(uid)
        if mention not in people:
            people.append(mention)
    group = group_mention(team.manager_group)
    if group:
        people.append(f"members of {group}")
    if not people:
        return "nobody yet (this team has no managers; add them to its schedule file)"
    if len(people) == 1:
        return people[0]
    return ", ".join(people[:-1]) + " or " + people[-1]


@dataclass
class _Entry:
    members: frozenset[str] | None  # None: never fetched successfully
    expires: float  # clock_fn() value after which the group is fetched again
    lock: threading.Lock


class ManagerDirectory:
    """`is_manager(team, user)`, with the manager group's members cached per group."""

    def __init__(self, client, clock_fn: Callable[[], float] = time.monotonic,
                 ttl: float = 60.0, retry_after: float = 15.0):
        self.client = client
        self.clock_fn = clock_fn
        self.ttl = ttl
        self.retry_after = min(retry_after, ttl)
        self._entries: dict[str, _Entry] = {}
        self._lock = threading.Lock()  # guards _entries itself

    def is_manager(self, team: Team, user: str) -> bool:
        if not user:
            return False
        if user in team.managers:
            return True
        if not team.manager_group:
            return False
        return user in self.group_members(team.manager_group)

    def describe_managers(self, team: Team) -> str:
        return describe_managers(team)

    def group_members(self, group: str) -> frozenset[str]:
        """Members of a Slack user group (cached; empty when never fetched successfully)."""
        with self._lock:
            entry = self._entries.get(group)
            if entry is None:
                entry = self._entries[group] = _Entry(None, float("-inf"), threading.Lock())
        if entry.members is not None and self.clock_fn() < entry.expires:
            return entry.members
        with entry.lock:
            if entry.members is not None and self.clock_fn() < entry.expires:
                return entry.members  # fetched by another thread while this one waited
            if entry.members is None and self.clock_fn() < entry.expires:
                return frozenset()  # a recent fetch failed; not asking again yet
            try:
                response = self.client.usergroups_users_list(usergroup=group)
                members = frozenset(str(u) for u in (response.get("users") or ()))
            except (SlackClientError, OSError) as err:  # OSError: URLError, TimeoutError
                detail = (err.response.get("error") if isinstance(err, SlackApiError)
                          else None) or type(err).__name__
                fallback = ("the members fetched before" if entry.members is not None
                            else "the team's managers list alone")
                log.warning("usergroups.users.list for %s failed (%s); using %s",
                            group, detail, fallback)
                entry.expires = self.clock_fn() + self.retry_after
                return entry.members if entry.members is not None else frozenset()
            entry.members = members
            entry.expires = self.clock_fn() + self.ttl
            return members

    def invalidate(self, group: str | None = None) -> None:
        """Forget one group's members (or all), e.g. on a `subteam_members_changed` event."""
        with self._lock:
            if group is None:
                self._entries.clear()
            else:
                self._entries.pop(group, None)
