"""Acknowledged but not resolved (a policy's `ack_timeout`): what is due when, and what
a deadline does when it comes, as pure functions of the request's state and `now`.

An acknowledgement of a request whose frozen policy has a timeout T sets a REMIND
deadline at ack + T. The reminder, when the request is still the same person's and not
resolved, tells them and sets a REOPEN deadline T later (ack + 2T when on time). At
REOPEN the request opens again and its policy starts over. "Snooze" replaces both with a
REMIND `SNOOZE` from the click. Every deadline carries the request's escalation token
when it was set: resolving, handing over, a re-route and a snooze change the token, so
what was set before is stale and does nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.core import refs

# DeadlineRow.reason codes (the column holds 16 characters).
REMIND, REOPEN = "ack_remind", "ack_reopen"
REASONS = (REMIND, REOPEN)
SNOOZE = timedelta(minutes=30)  # the "Snooze 30m" button
NOTHING = "nothing"


@dataclass(frozen=True)
class Watched:
    """What a deadline needs to know of its request, as it is now."""

    status: str  # open | acknowledged | resolved (received: still being routed)
    assignee: str | None
    acknowledged: datetime | None
    token: int  # the request's escalation token now


def action(reason: str, set_with: int, req: Watched) -> str:
    """What the deadline (`reason`, set with token `set_with`) does now: REMIND, REOPEN,
    or NOTHING when the request was resolved, handed over, re-routed or snoozed since
    (its token moved on) or nobody has it."""
    if reason not in REASONS or req.token != set_with:
        return NOTHING
    if req.status != "acknowledged" or req.assignee is None or req.acknowledged is None:
        return NOTHING
    return reason


def first_reminder(acknowledged: datetime, timeout: timedelta | None) -> datetime | None:
    """When the first reminder falls for an acknowledgement (None: the policy has no
    timeout)."""
    return None if timeout is None else acknowledged + timeout


def reopen_at(reminded: datetime, timeout: timedelta) -> datetime:
    """The re-open falls a whole timeout after the reminder the person got (ack + 2T
    when the reminder fired on time; later, never sooner, when the worker was down)."""
    return reminded + timeout


def minutes(seconds: float) -> int:
    return max(round(seconds / 60), 1)


def held_for(req: Watched, now: datetime) -> str:
    """'30 min' / '2 h 5 min': how long the assignee has had it."""
    m = minutes((now - req.acknowledged).total_seconds()) if req.acknowledged else 1
    return f"{m} min" if m < 60 else f"{m // 60} h" + (f" {m % 60} min" if m % 60 else "")


def reminder_text(ticket: str, req: Watched, now: datetime) -> str:
    """The reminder the assignee reads (neutral text; the adapter adds the button)."""
    snooze = minutes(SNOOZE.total_seconds())
    return (f"{ticket} is still open and yours (acknowledged {held_for(req, now)} ago). "
            f"Resolve it, or snooze for {snooze} min if you are still working on it.")


def reminded_line(req: Watched, now: datetime) -> str:
    """The timeline line of a reminder."""
    return (f"Reminded {refs.person(req.assignee)}: acknowledged {held_for(req, now)} ago "
            "and not resolved")


REOPENED = "Re-opened:"  # how the re-open line starts (the card's note while open)


def without_reopen(note: str | None) -> str | None:
    """The card's note once someone has the request again: the re-open line is old news
    (a later hand-over must not show it again); a busy note is left alone."""
    return None if note and note.startswith(REOPENED) else note


def reopened_line(req: Watched, now: datetime) -> str:
    """The timeline line (and the card's note) of a re-open."""
    return (f"{REOPENED} acknowledged by {refs.person(req.assignee)} {held_for(req, now)} "
            "ago and not resolved; paging again from the policy's first step")


def snoozed_line(user: str, req: Watched) -> str:
    who = "" if user == req.assignee else f" for {refs.person(req.assignee)}"
    return (f"{refs.person(user)} snoozed the reminder{who}: the next one comes in "
            f"{minutes(SNOOZE.total_seconds())} min")
