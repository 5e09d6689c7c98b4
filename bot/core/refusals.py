"""Pages Slack refuses for good: what each refusal means in plain words, what the
timeline says happened next, and what the managers are told (at most once an hour for
each cause, per team).

Slack answers some errors that no retry can fix: the person's account is gone, the
target is a bot, the conversation is missing, or the message itself was refused. A page
that hits one will never be answered, so the escalation moves on at once
(`escalation.REFUSED`) instead of waiting out the step. Texts here are neutral
(`bot.core.refs`); each front end renders them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from bot.core import escalation, escalation_words, refs, routing
from bot.core.checks import LANGUAGE_NAMES

NOTICE_EVERY = timedelta(hours=1)  # managers hear of one cause once an hour at most
UNDELIVERABLE = "undeliverable"  # the state of a page Slack refused for good


@dataclass(frozen=True)
class Cause:
    key: str  # what the managers' notice is deduplicated on (the same fix, one message)
    short: str  # "(deactivated account)"
    words: str  # "their Slack account is deactivated or missing"
    fix: str  # what a manager can do about it, a sentence


_FIX_ENTRY = (f"To stop this, fix their entry in the schedule "
              f"({refs.command('oncall rotation remove')}, {refs.command('oncall away')}, "
              "or the team's schedule file).")
_ACCOUNT = Cause("account", "deactivated account",
                 "their Slack account is deactivated or missing", _FIX_ENTRY)
_BOT = Cause("bot", "a bot account", "the schedule names a bot account, which cannot be "
             "messaged", _FIX_ENTRY)
_CHANNEL = Cause("channel", "conversation unavailable",
                 "Slack could not open the conversation (missing, archived, or the bot is "
                 "not in it)", _FIX_ENTRY)
_MESSAGE = Cause("message", "message refused",
                 "Slack refused the message itself (too long or malformed)",
                 "Nothing in the schedule causes this: tell whoever runs the bot, with the "
                 "ticket number.")
CAUSES: dict[str, Cause] = {
    "user_not_found": _ACCOUNT, "account_inactive": _ACCOUNT,
    "cannot_dm_bot": _BOT,
    "not_in_channel": _CHANNEL, "channel_not_found": _CHANNEL, "is_archived": _CHANNEL,
    "invalid_blocks": _MESSAGE, "msg_too_long": _MESSAGE,
}  # fmt: skip
# Any other error the sender calls permanent: the page still never arrives.
OTHER = Cause("other", "refused by Slack", "Slack refused the message for good",
              "Check their entry in the schedule; if it looks right, tell whoever runs the "
              "bot, with the ticket number.")


# A page by SMS, call or email refused for good: its code is "<channel>:<provider's
# code>" ("sms:21211", "email:550"), and the page moves on like a refused Slack page.
_FIX_CONTACT = (f"Fix their number or address with {refs.command('oncall specialist')} "
                "(phone=+353861234567 or email=...), or in the team's schedule file.")
_PHONE = Cause("phone", "phone number refused", "the phone provider (Twilio) refused their "
               "number for good (not a valid number, or it cannot take texts or calls)",
               _FIX_CONTACT)
_EMAIL = Cause("email", "email address refused", "the mail server refused their address",
               _FIX_CONTACT)
_BY = {"sms": ("by SMS", "Twilio", _PHONE), "voice": ("by phone", "Twilio", _PHONE),
       "email": ("by email", "The mail server", _EMAIL)}


def _channel(code: str) -> tuple[str, str, Cause | None]:
    """(how, who refused, the cause) for a code: "on Slack", "Slack" for Slack's."""
    prefix = code.partition(":")[0] if ":" in code else ""
    return _BY.get(prefix, ("on Slack", "Slack", None))


def cause(code: str) -> Cause:
    """The plain meaning of a Slack error code (an unknown code: OTHER), or of a
    refused SMS, call or email ("sms:21211")."""
    return _channel(code)[2] or CAUSES.get(code, OTHER)


def notice_kind(code: str) -> str:
    """The key of the managers' hourly notice for this code (16 characters at most)."""
    return "refused:" + cause(code).key


def _language(code: str) -> str:
    return LANGUAGE_NAMES.get(code, code)


def _paging(pages: tuple[escalation.Page, ...], language: str) -> str:
    who = refs.people(p.user for p in pages)
    source = pages[0].source
    if len(pages) > 1:
        return f"paging {who}"
    if source == routing.ON_CALL:
        return f"paging {who}, the next {_language(language)} reader on call"
    if source == routing.BACKUP:
        return f"paging {who}, an off-shift {_language(language)} backup"
    if source == routing.TRANSLATION:
        return f"paging {who}, on call (needs translation)"
    return f"paging {who}"


def what_next(decision: escalation.Decision | None, last: escalation.Position | None,
              language: str, total: int) -> str:
    """What the escalation did about a refused page, as the end of a timeline line.

    `decision` None: the page belonged to a step the escalation had already left."""
    if decision is None:
        return "the escalation had already moved past that step"
    acted = next((f for f in decision.fired
                  if f.pages or f.managers or f.channel), None)
    if acted is None:
        if not decision.fired and decision.position == last and not decision.exhausted:
            return "still waiting for the others paged at this step"
        return "nobody is left to page; the request stays open"
    if acted.position == last and acted.pages:
        return _paging(acted.pages, language)
    # In words, not "step 3/5 (language_backup)": people read this on the timeline.
    if acted.pages:
        doing = _paging(acted.pages, language)
    elif acted.managers:
        doing = "alerting the managers"
    else:
        doing = f"posting to the escalation channel {refs.channel(acted.channel or '')}"
    if acted.position.round:
        doing += f" ({escalation_words.round_name(acted.position.round)})"
    return f"nobody else to page at this step: now {doing}"


def timeline_text(user: str, code: str, next_words: str) -> str:
    """'Could not reach {@U1} on Slack (deactivated account); paging {@U2}, ...'"""
    how = _channel(code)[0]
    return f"Could not reach {refs.person(user)} {how} ({cause(code).short}); {next_words}"


def manager_text(user: str, code: str, ticket: str) -> str:
    """The managers' notice: who could not be reached, why, and what to do about it."""
    c = cause(code)
    return (f"{_channel(code)[1]} refused a page to {refs.person(user)} ({ticket}): "
            f"{c.words}. The "
            f"request moved on to the next person at once. {c.fix} Refusals for the same "
            "reason in the next hour show only on the requests' timelines.")
