"""The webhooks Twilio calls: `/twilio/sms` (a reply to a page's SMS) and
`/twilio/voice` (a key pressed in a page's call; `?page=<id>` names the page).

Every request must carry a valid `X-Twilio-Signature`: Twilio signs the URL it was
configured with (ONCALL_PUBLIC_URL + the path, with its query) and the form fields with
the account's auth token (`twilio.request_validator.RequestValidator`). Anything else
gets 403 and changes nothing. The answer is TwiML: a `<Message>` back for an SMS, a
`<Say>` for the call; what the answer changed goes to the sending threads
(`deliver(request_id)`), so the Slack page, the card and the timeline follow.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from urllib.parse import parse_qs

from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse
from twilio.twiml.voice_response import VoiceResponse

from bot.app.inbound import Refusal, plain, read_body
from bot.services.contact_answers import Answer, ContactAnswers

__all__ = ["SMS_PATH", "VOICE_PATH", "TwilioHooks"]

SMS_PATH, VOICE_PATH = "/twilio/sms", "/twilio/voice"
MAX_FORM = 64 * 1024  # Twilio's webhook forms are a few kilobytes
log = logging.getLogger(__name__)


class TwilioHooks:
    def __init__(self, answers: ContactAnswers, auth_token: str | None,
                 public_url: str | None, deliver: Callable[[int], None]):
        self.answers = answers
        self.validator = RequestValidator(auth_token) if auth_token else None
        self.public_url = (public_url or "").rstrip("/")
        self.deliver = deliver

    def __call__(self, environ, start_response) -> Iterable[bytes]:
        if self.validator is None or not self.public_url:
            return plain(start_response, "404 Not Found",
                         "Twilio is not configured (TWILIO_AUTH_TOKEN, ONCALL_PUBLIC_URL).")
        if environ.get("REQUEST_METHOD") != "POST":
            return plain(start_response, "405 Method Not Allowed", "POST only.")
        try:
            body = read_body(environ, MAX_FORM)
        except Refusal as r:
            return plain(start_response, r.status, r.text)
        form = {k: v[-1] for k, v in parse_qs(body.decode("utf-8", "replace"),
                                              keep_blank_values=True).items()}
        path, query = environ.get("PATH_INFO", ""), environ.get("QUERY_STRING", "")
        url = self.public_url + path + (f"?{query}" if query else "")
        signature = environ.get("HTTP_X_TWILIO_SIGNATURE", "")
        if not signature or not self.validator.validate(url, form, signature):
            log.warning("a %s request without a valid Twilio signature was refused", path)
            return plain(start_response, "403 Forbidden", "Invalid Twilio signature.")
        if path == SMS_PATH:
            answer = self.answers.sms(form.get("From", ""), form.get("Body", ""))
            reply = MessagingResponse()
            reply.message(answer.text)
        else:
            answer, reply = self._voice(query, form)
        if answer.request_id is not None:
            try:
                self.deliver(answer.request_id)
            except Exception:  # the reconciler delivers it anyway
                log.exception("delivering request %s after a phone answer failed",
                              answer.request_id)
        data = str(reply).encode("utf-8")
        start_response("200 OK", [("Content-Type", "text/xml; charset=utf-8"),
                                  ("Content-Length", str(len(data)))])
        return [data]

    def _voice(self, query: str, form: dict[str, str]) -> tuple[Answer, VoiceResponse]:
        page = (parse_qs(query).get("page") or [""])[-1]
        reply = VoiceResponse()
        if not page.isdigit():
            reply.say("This call is not about a page. Goodbye.")
            return Answer(""), reply
        digits = form.get("Digits")
        if digits is None:  # the call's own URL fetched: ask for the key
            gather = reply.gather(num_digits=1, action=f"{self.public_url}{VOICE_PATH}"
                                  f"?page={page}", method="POST", timeout=8)
            gather.say("You are paged by the on-call bot. Press 1 to acknowledge, "
                       "or 2 to decline.")
            return Answer(""), reply
        # In a call the bot made, `To` is the person's number.
        answer = self.answers.call(int(page), form.get("To", ""), digits)
        reply.say(answer.text)
        return answer, reply
