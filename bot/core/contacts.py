"""How a page reaches a person besides Slack: specialists' `phone` (E.164) and `email`,
and the `via` of an escalation step (CHANNELS). The rules over them (`problems`,
`warnings`) are team rules that `bot.core.checks` includes, so a team file and an
`/oncall specialist` edit are held to the same words.

Slack is always one of a step's channels: the page DM carries the buttons and the
record of the page, so `via: [sms]` reads as `[slack, sms]` (`normal_via`).

Pure: no I/O.
"""

from __future__ import annotations

import re

from bot.core.check_base import Problem, Where, did_you_mean, listed_twice
from bot.core.model import CHANNELS, DEFAULT_VIA, EscalationStep, Team

__all__ = [
    "E164",
    "EMAIL",
    "PHONE_CHANNELS",
    "mask_phone",
    "normal_via",
    "phone_rule",
    "problems",
    "reachable",
    "warnings",
]

# E.164: a +, a country code that does not start with 0, at most 15 digits in all.
E164 = re.compile(r"\+[1-9][0-9]{6,14}")
# One @, no spaces, a dot in the domain; what SMTP servers will take for a mailbox.
EMAIL = re.compile(r"[^@\s<>()\[\],;:\"]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
                   r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+")
PHONE_CHANNELS = ("sms", "voice")


def phone_rule(value: str) -> str:
    """Why `value` is not a phone number the bot can text, with the fix."""
    return (f"'{value}' is not an E.164 number; write it with + and the country code, "
            "no spaces, e.g. +353861234567")


def normal_via(via: tuple[str, ...]) -> tuple[str, ...]:
    """`via` with Slack first (always implied) and the rest in CHANNELS order."""
    return ("slack", *(c for c in CHANNELS if c != "slack" and c in via))


def mask_phone(phone: str | None) -> str:
    """A number as people other than its owner and the managers see it: +35386•••••67."""
    if not phone:
        return "none"
    return phone[:6] + "•" * max(len(phone) - 8, 0) + phone[-2:]


def reachable(team: Team, user: str, channel: str) -> str | None:
    """The number or address `channel` reaches `user` at, or None (Slack only)."""
    s = team.specialist(user)
    if s is None:
        return None
    if channel in PHONE_CHANNELS:
        return s.phone
    return s.email if channel == "email" else None


def problems(team: Team) -> list[Problem]:
    """Phone numbers and addresses that do not read, channels that do not exist."""
    out: list[Problem] = []
    for i, s in enumerate(team.specialists):
        at: Where = ("specialists", i)
        if s.phone is not None and not E164.fullmatch(s.phone):
            rule = phone_rule(s.phone)
            head, tail = rule.split(";", 1)
            out.append(Problem((*at, "phone"), f"{head} ({s.name});{tail}", reply=rule))
        if s.email is not None and (len(s.email) > 254 or not EMAIL.fullmatch(s.email)):
            rule = (f"'{s.email}' is not an email address; write one mailbox, e.g. "
                    "layla.haddad@example.org")
            head, tail = rule.split(";", 1)
            out.append(Problem((*at, "email"), f"{head} ({s.name});{tail}", reply=rule))
    for name, policy in team.policies:
        for i, step in enumerate(policy.steps):
            out += _via(("escalation", "policies", name, "steps", i), step)
    return out


def _via(at: Where, step: EscalationStep) -> list[Problem]:
    out = []
    for j, c in enumerate(step.via):
        if c not in CHANNELS:
            out.append(Problem((*at, "via", j), f"unknown channel '{c}'; allowed: "
                                                f"{', '.join(CHANNELS)}"
                               + did_you_mean(c, CHANNELS)))
    out += listed_twice((*at, "via"), step.via, "channel")
    if step.notify == "channel" and tuple(step.via) != DEFAULT_VIA:
        out.append(Problem((*at, "via"), "a 'channel' step posts in the escalation channel; "
                                         "sms, voice and email reach people, so put them "
                                         "on a step that pages people"))
    return out


def warnings(team: Team) -> list[Problem]:
    """A step that texts, calls or emails people of whom some have no number or address:
    allowed (they get the Slack page only), but probably not meant."""
    out = []
    for name, policy in team.policies:
        for i, step in enumerate(policy.steps):
            people = _could_page(team, step.notify)
            for channel in step.via:
                if channel not in (*PHONE_CHANNELS, "email"):
                    continue
                missing = [p for p in people if reachable(team, p, channel) is None]
                if not missing:
                    continue
                what = "phone" if channel in PHONE_CHANNELS else "email"
                names = [_name(team, p) for p in missing]
                shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more"
                                                if len(names) > 3 else "")
                out.append(Problem(
                    ("escalation", "policies", name, "steps", i, "via"),
                    f"{channel}: {shown} {'has' if len(names) == 1 else 'have'} no {what}, "
                    f"so this step reaches {'them' if len(names) > 1 else 'that person'} "
                    f"by Slack only; add `{what}:` to the specialist",
                    reply=f"{channel}: {shown} without {what} (Slack only)"))
    return out


def _could_page(team: Team, kind: str) -> list[str]:
    """Everyone a step of `kind` could page, in the team's order."""
    if kind == "managers":
        return list(team.managers)
    if kind == "language_backup":
        return [s.id for s in team.specialists if s.backup]
    if kind in ("language_oncall", "language_oncall_all"):
        members = {m for r in team.rotations for m in r.members}
        return [s.id for s in team.specialists if s.id in members]
    return []


def _name(team: Team, user: str) -> str:
    s = team.specialist(user)
    return s.name if s is not None else user
