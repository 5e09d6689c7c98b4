"""The Twilio and SMTP transports on their own, against the Twilio stand-in and a local
SMTP server: what an SMS and a call say, how Twilio's and the mail server's answers map
to the outbox's (sent, permanent, busy, unsure, not sent), the look-up of an unsure
SMS, and the settings that configure them."""

from __future__ import annotations

import email
import email.policy
import socket
from datetime import UTC, datetime

import pytest
from aiosmtpd.controller import Controller

from bot.app.email_sender import EmailSender
from bot.app.phone_sender import PhoneSender
from bot.app.senders import Senders, contact_senders
from bot.config import ConfigError, Settings
from bot.core.messages import EMAIL, SMS, VOICE, PageView, RequestView
from bot.demo.twilio_standin import TwilioStandin
from bot.services.outbox_items import Busy, Delivery, NotSent, PermanentError, Unsure

NOW = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
FROM = "+15005550006"
TO = "+353861234567"
SECRET = "the words of the request"


def view(sensitive: bool = True) -> RequestView:
    return RequestView(
        id=12, ticket="T-12", team="desk", requester="U0REQ0001", text=SECRET,
        link="https://example.org/post/1", severity="sev1", language="ar",
        language_source="explicit", detected=None, confidence=None, status="open",
        assignee=None, outcome=None, created=NOW, acknowledged=None, resolved=None,
        paged=("U1",), needs_translation=False, escalation="", exhausted=False,
        origin_channel=None, via="slash", category="child-safety",
        category_label="Child safety", sensitive=sensitive)


def delivery(kind: str, target: str = TO, *, state: str = "pending", unsure: bool = False,
             sensitive: bool = True, card=None) -> Delivery:
    r = view(sensitive)
    page = PageView(id=7, user="U1", state=state, source="on_call", needs_translation=False,
                    request=r)
    return Delivery(kind=kind, target=target, payload={}, request=r, page=page, card=card,
                    page_message=None, ids=(41,), unsure=unsure, since=NOW)


@pytest.fixture
def twilio():
    with TwilioStandin(invalid=("+15005550001",), not_mobile=("+35312345678",)) as tw:
        yield tw


def phone(tw: TwilioStandin) -> PhoneSender:
    return PhoneSender(tw.account_sid, tw.auth_token, FROM, "https://bot.example", tw.url)


def test_an_sms_says_what_it_is_and_never_the_request_text(twilio):
    assert phone(twilio).send(delivery(SMS))[0] == "sms"
    [m] = twilio.messages
    assert (m["to"], m["from"]) == (TO, FROM)
    assert m["body"] == ("On-call page T-12: SEV1 (urgent) Arabic request, Child safety, "
                         "sensitive. Reply 1 to acknowledge, 2 to decline. Details in Slack.")
    assert len(m["body"]) <= 160


def test_a_call_gathers_one_key_for_its_page(twilio):
    phone(twilio).send(delivery(VOICE))
    [c] = twilio.calls
    assert ('<Gather action="https://bot.example/twilio/voice?page=7" method="POST" '
            'numDigits="1" timeout="8">') in c["twiml"]
    assert "ticket T 1 2: a severity one, urgent request in Arabic" in c["twiml"]
    assert SECRET not in c["twiml"]


def test_a_page_answered_before_its_turn_is_not_sent(twilio):
    assert phone(twilio).send(delivery(SMS, state="acknowledged")) is None
    assert twilio.messages == []


def test_twilio_answers_map_to_the_outbox(twilio):
    p = phone(twilio)
    with pytest.raises(PermanentError, match="sms:21211"):
        p.send(delivery(SMS, "+15005550001"))
    with pytest.raises(PermanentError, match="sms:21614"):
        p.send(delivery(SMS, "+35312345678"))
    twilio.fail_next(429, 20429)
    with pytest.raises(Busy):
        p.send(delivery(SMS))
    twilio.fail_next(503)
    with pytest.raises(Unsure):
        p.send(delivery(VOICE))
    twilio.fail_next(401, 20003)  # a bad setting: retried, since it may be fixed
    with pytest.raises(NotSent):
        p.send(delivery(SMS))
    assert twilio.messages == [] and twilio.calls == []


def test_an_unsure_sms_that_went_out_is_not_sent_twice(twilio):
    p = phone(twilio)
    twilio.fail_next(503, created=True)  # Twilio sent it; its answer was lost
    with pytest.raises(Unsure):
        p.send(delivery(SMS))
    assert len(twilio.messages) == 1
    assert p.send(delivery(SMS, unsure=True)) == ("sms", twilio.messages[0]["sid"])
    assert len(twilio.messages) == 1
    # Nothing found: sent now.
    p.send(delivery(SMS, "+447700900123", unsure=True))
    assert len(twilio.messages) == 2


class _Box:
    def __init__(self) -> None:
        self.got: list = []

    async def handle_RCPT(self, server, session, envelope, address, options):  # noqa: N802
        if address.startswith("gone@"):
            return "550 5.1.1 No such user"
        if address.startswith("full@"):
            return "452 4.2.2 Mailbox full"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.got.append(envelope)
        return "250 OK"


@pytest.fixture
def smtp():
    box = _Box()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    c = Controller(box, hostname="127.0.0.1", port=port)
    c.start()
    yield box, f"smtp://127.0.0.1:{port}"
    c.stop()


def test_an_email_carries_the_text_only_of_a_request_that_is_not_sensitive(smtp):
    box, url = smtp
    sender = EmailSender(url, "oncall@example.org")
    sender.send(delivery(EMAIL, "layla@example.org", card=("C0INTAKE01", "1.2")))
    sender.send(delivery(EMAIL, "layla@example.org", sensitive=False))
    sensitive, plain = (_text(e) for e in box.got)
    assert SECRET not in sensitive and "only in Slack" in sensitive
    assert "https://slack.com/app_redirect?channel=C0INTAKE01" in sensitive
    assert f"> {SECRET}" in plain and "Subject: [T-12] On-call page" in plain


def _text(envelope) -> str:
    msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
    return f"Subject: {msg['Subject']}\n{msg.get_content()}"


def test_mail_server_answers_map_to_the_outbox(smtp):
    _, url = smtp
    sender = EmailSender(url, "oncall@example.org")
    with pytest.raises(PermanentError, match="email:550"):
        sender.send(delivery(EMAIL, "gone@example.org"))
    with pytest.raises(NotSent):
        sender.send(delivery(EMAIL, "full@example.org"))
    with socket.socket() as s:  # nothing listens there
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    with pytest.raises(NotSent):
        EmailSender(f"smtp://127.0.0.1:{closed}", "x@example.org").send(
            delivery(EMAIL, "layla@example.org"))


def test_settings_configure_the_transports_and_keep_their_secrets():
    s = Settings.from_env({"TWILIO_ACCOUNT_SID": "AC1", "TWILIO_AUTH_TOKEN": "tok-secret",
                           "TWILIO_FROM": FROM, "SMTP_URL": "smtp://u:pw-secret@mail:587",
                           "ONCALL_EMAIL_FROM": "oncall@example.org"})
    assert "tok-secret" not in repr(s) and "pw-secret" not in repr(s)
    phone_sender, email_sender = contact_senders(s)
    assert phone_sender.from_number == FROM
    assert (email_sender.host, email_sender.port, email_sender.user) == ("mail", 587, "u")
    assert contact_senders(Settings.from_env({})) == (None, None)
    with pytest.raises(ConfigError, match="SMTP_URL"):
        Settings.from_env({"SMTP_URL": "mail.example.org:25"})


def test_a_transport_not_configured_sends_nothing():
    class Slack:
        def send(self, d):
            raise AssertionError("not a Slack message")

        def lane(self, d):
            return "slack"

    senders = Senders(Slack())
    assert senders.send(delivery(SMS)) is None and senders.lane(delivery(EMAIL)) == "off:email"
