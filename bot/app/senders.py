"""One sender for the outbox, several transports: Slack for every Slack kind, Twilio
for SMS and calls, SMTP for email. The outbox sees one `send` and one `lane`, so every
transport has the same exactly-once path (leases, retries, unsure look-ups, lanes).

A transport that is not configured (no TWILIO_* or SMTP_URL) sends nothing: its rows
are settled as sent with a warning in the log (the person still has the Slack page)."""

from __future__ import annotations

import logging

from bot.app.email_sender import EmailSender
from bot.app.phone_sender import PhoneSender
from bot.config import Settings
from bot.core.messages import EMAIL, SMS, VOICE
from bot.services.outbox_items import Delivery, Found, Sender

__all__ = ["Senders", "contact_senders"]

log = logging.getLogger(__name__)


class Senders:
    def __init__(self, slack: Sender, phone: Sender | None = None,
                 email: Sender | None = None):
        self.slack = slack
        self._by_kind = {SMS: phone, VOICE: phone, EMAIL: email}

    def __getattr__(self, name: str):
        return getattr(self.slack, name)  # the Slack sender's client and helpers

    def _for(self, d: Delivery) -> Sender | None:
        return self._by_kind.get(d.kind, self.slack)

    def lane(self, d: Delivery) -> str:
        s = self._for(d)
        return s.lane(d) if s is not None else f"off:{d.kind}"

    def send(self, d: Delivery) -> tuple[str, str] | Found | None:
        s = self._for(d)
        if s is None:
            log.warning("a %s page (outbox rows %s) was not sent: %s is not configured "
                        "(see README, Set up)", d.kind, list(d.ids),
                        "Twilio" if d.kind in (SMS, VOICE) else "SMTP")
            return None
        return s.send(d)


def contact_senders(settings: Settings) -> tuple[PhoneSender | None, EmailSender | None]:
    """The Twilio and SMTP transports the settings configure (None: not configured)."""
    phone = None
    if settings.twilio_account_sid and settings.twilio_auth_token and settings.twilio_from:
        phone = PhoneSender(settings.twilio_account_sid, settings.twilio_auth_token,
                            settings.twilio_from, settings.public_url,
                            settings.twilio_api_url)
    email = None
    if settings.smtp_url:
        email = EmailSender(settings.smtp_url, settings.email_from or "oncall@localhost")
    return phone, email
