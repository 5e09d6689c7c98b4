"""Pages by SMS and by phone call through Twilio's REST API (the official `twilio`
package), as the outbox's second transport: `send(delivery)` and `lane(delivery)` like
the Slack sender, so leases, retries and unsure look-ups are the outbox's own.

- SMS: `sms_text` (ticket, severity, language, category; never the request's text).
- Call: TwiML `<Say>` inside `<Gather numDigits="1">` whose action is this bot's
  `/twilio/voice?page=<id>` (pressing 1 acknowledges, 2 declines).
- An unsure attempt (a timeout, a 5xx) is looked up first: a message or call to the
  same number from our number since the row was written, naming the ticket (SMS), or
  any call to that number since then (a call carries no text to match), counts as sent.
- Twilio's codes for a number that can never be reached (21211 invalid, 21614 not a
  mobile, 21610 unsubscribed, ...) are permanent: the page moves on
  (`refusals`, "sms:21211"). A 429 pauses the lane; other 4xx are retried (a setting
  may be fixed meanwhile).
- `TWILIO_API_URL`: every request goes to that base instead of api.twilio.com (the
  stand-in), through a `TwilioHttpClient` that rewrites the scheme and host.
"""

from __future__ import annotations

import logging
from datetime import datetime
from urllib.parse import urlsplit

import requests
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client
from twilio.twiml.voice_response import VoiceResponse

from bot.core import contact_texts
from bot.core.messages import SMS, VOICE, RequestView
from bot.services.outbox_items import Busy, Delivery, NotSent, PermanentError, Unsure

__all__ = ["PERMANENT_CODES", "PhoneSender", "call_twiml", "voice_action"]

log = logging.getLogger(__name__)
# Twilio error codes no retry fixes: the number is wrong, cannot take this, or opted out.
PERMANENT_CODES = frozenset({21211, 21214, 21217, 21401, 21407, 21408, 21610, 21612, 21614,
                             13223, 13224, 13225})
TIMEOUT = 10.0  # seconds for one call to Twilio


class _Rebased(TwilioHttpClient):
    """Twilio's own HTTP client, every URL moved to `base` (scheme, host and port)."""

    def __init__(self, base: str):
        super().__init__(timeout=TIMEOUT)
        self._base = base.rstrip("/")

    def request(self, method, url, *args, **kwargs):
        parts = urlsplit(url)
        moved = self._base + parts.path + (f"?{parts.query}" if parts.query else "")
        return super().request(method, moved, *args, **kwargs)


def voice_action(public_url: str, page_id: int) -> str:
    return f"{public_url.rstrip('/')}/twilio/voice?page={page_id}"


def call_twiml(r: RequestView, action: str) -> str:
    """The call: the page read out, then press 1 (acknowledge) or 2 (decline); said
    twice when nothing is pressed."""
    vr = VoiceResponse()
    gather = vr.gather(num_digits=1, action=action, method="POST", timeout=8)
    gather.say(contact_texts.voice_words(r))
    gather.pause(length=1)
    gather.say(contact_texts.voice_words(r))
    vr.say("No key was pressed. The page is still waiting for you in Slack. Goodbye.")
    return str(vr)


class PhoneSender:
    def __init__(self, account_sid: str, auth_token: str, from_number: str,
                 public_url: str | None, api_url: str | None = None):
        http = _Rebased(api_url) if api_url else TwilioHttpClient(timeout=TIMEOUT)
        # environment={}: no TWILIO_EDGE/REGION from os.environ (bot.config reads it).
        self.client = Client(account_sid, auth_token, http_client=http, environment={})
        self.from_number = from_number
        self.public_url = public_url or ""

    def lane(self, d: Delivery) -> str:
        return f"twilio:{d.kind}"

    def send(self, d: Delivery) -> tuple[str, str] | None:
        if d.page is None or d.request is None or d.page.state != "pending":
            return None  # answered (or gone) before its turn: nothing to say any more
        try:
            if d.unsure:
                found = self._look_up(d)
                if found is not None:
                    return found
            if d.kind == SMS:
                m = self.client.messages.create(to=d.target, from_=self.from_number,
                                                body=contact_texts.sms_text(d.request))
                return "sms", m.sid
            if d.kind == VOICE:
                twiml = call_twiml(d.request, voice_action(self.public_url, d.page.id))
                c = self.client.calls.create(to=d.target, from_=self.from_number, twiml=twiml)
                return "voice", c.sid
            raise PermanentError(f"{d.kind}: not a Twilio message")
        except TwilioRestException as err:
            raise _translated(d.kind, err) from err
        except requests.Timeout as err:
            raise Unsure(f"no answer from Twilio ({type(err).__name__})") from err
        except requests.ConnectionError as err:
            raise Unsure(f"connection to Twilio failed ({type(err).__name__})") from err

    def _look_up(self, d: Delivery) -> tuple[str, str] | None:
        """A message or call an earlier attempt may have made: to this number, from
        ours, since the row was written, about this page."""
        since: datetime | None = d.since
        if d.kind == SMS:
            for m in self.client.messages.list(to=d.target, from_=self.from_number,
                                               date_sent_after=since, limit=50):
                if d.request.ticket in (m.body or ""):
                    return "sms", m.sid
        elif d.kind == VOICE:
            for c in self.client.calls.list(to=d.target, from_=self.from_number,
                                            start_time_after=since, limit=50):
                return "voice", c.sid
        return None


def _translated(kind: str, err: TwilioRestException) -> Exception:
    if err.status == 429:
        return Busy(1.0, f"Twilio rate limit ({err.code})")
    if err.status >= 500:
        return Unsure(f"Twilio answered {err.status}")
    if err.code in PERMANENT_CODES:
        return PermanentError(f"{kind}:{err.code}")
    log.warning("Twilio refused a %s (%s %s): %s", kind, err.status, err.code, err.msg)
    return NotSent(f"Twilio refused it ({err.status}, code {err.code})")
