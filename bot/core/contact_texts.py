"""What a page says outside Slack: the SMS, the call's spoken words, the email. Written
for someone woken at 3 a.m.: what it is, how urgent, what to do, in a few words.

Never the request's text or link in an SMS or a call (a text message sits on a lock
screen, a call may be on a speaker); an email carries the text only when the request
is not sensitive (`RequestView.redacted`), like the Slack page.

Pure: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.languages import LANGUAGE_NAMES
from bot.core.messages import RequestView

__all__ = ["Email", "email", "sms_text", "voice_words"]

SEVERITY_WORDS = {"sev1": "SEV1 (urgent)", "sev2": "SEV2", "sev3": "SEV3"}


def _language(code: str) -> str:
    return LANGUAGE_NAMES.get(code, code)


def _what(r: RequestView) -> str:
    """'SEV1 (urgent) Arabic request, Law-enforcement emergency request'."""
    sensitive = ", sensitive" if r.sensitive else ""
    return (f"{SEVERITY_WORDS.get(r.severity, r.severity.upper())} {_language(r.language)} "
            f"request, {r.category_label}{sensitive}")


def sms_text(r: RequestView) -> str:
    """One SMS (under 160 characters for a usual request): never the request's text."""
    return (f"On-call page {r.ticket}: {_what(r)}. Reply 1 to acknowledge, 2 to decline. "
            "Details in Slack.")


def voice_words(r: RequestView) -> str:
    """What the call says (then: press 1 to acknowledge)."""
    ticket = " ".join(r.ticket.replace("-", ""))  # "T 1 2": read digit by digit
    severity = {"sev1": "severity one, urgent", "sev2": "severity two",
                "sev3": "severity three"}.get(r.severity, r.severity)
    return (f"This is the on-call bot. You are paged for ticket {ticket}: a {severity} "
            f"request in {_language(r.language)}, {r.category_label}. "
            "Press 1 to acknowledge. Press 2 to decline.")


@dataclass(frozen=True)
class Email:
    subject: str
    body: str


def email(r: RequestView, link: str | None) -> Email:
    """The page by email: the SMS's content, a link to the ticket in Slack, and the
    request's text only when it is not sensitive."""
    lines = [f"You are paged for {r.ticket}: {_what(r)}.", ""]
    if r.redacted:
        lines.append("This request is sensitive: its text is only in Slack, behind "
                     "Show details.")
    else:
        lines += ["The request:", "", *[f"> {line}" for line in r.text.splitlines()]]
        if r.link:
            lines.append(f"> {r.link}")
    lines += ["", "Acknowledge or decline with the buttons of the page in Slack"
                  + (f": {link}" if link else "."), "",
              "-- the on-call bot (you get this because an escalation step pages you by "
              "email)"]
    return Email(f"[{r.ticket}] On-call page: {_what(r)}", "\n".join(lines))
