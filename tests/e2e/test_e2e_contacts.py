"""End to end, issue 14: a page that reaches a person outside Slack. Signed `/emergency`
commands to the running app; the Twilio stand-in (bot/demo/twilio_standin.py) records
texts and calls, a local SMTP server (aiosmtpd) the emails; answers come back as
Twilio sends them, signed with the auth token, to /twilio/sms and /twilio/voice. On
SQLite and PostgreSQL.

Team: schedules/example/safety-escalations.yaml at 2026-07-01 12:00 UTC, where Omar is
the only Arabic reader on call and Rami the off-shift Arabic backup; the test gives them
phone numbers and email addresses and sets the sev1 policy's steps' `via`:
language_oncall 2m via [slack, sms, voice]; language_oncall_all 2m;
language_backup 3m via [slack, email]; managers 3m; channel.
"""

from __future__ import annotations

import dataclasses
import email
import email.policy
import socket
import urllib.error
import urllib.parse
import urllib.request

import pytest
from aiosmtpd.controller import Controller
from twilio.request_validator import RequestValidator

from bot.core.model import EscalationStep
from bot.demo.twilio_standin import TwilioStandin
from bot.store import teams as team_store
from tests.slack_harness import ToolHarness, utc

OMAR, RAMI = "U0EU00009", "U0AM00010"
OMAR_PHONE, RAMI_PHONE = "+201001234567", "+971501234567"
OMAR_MAIL, RAMI_MAIL = "omar@example.org", "rami@example.org"
FROM = "+15005550006"
TOKEN = "twilio-test-token"
SID = "AC" + "0" * 32
ARABIC = "sev1 lang:ar بث مباشر لشخص يهدد بالانتحار الآن"
SECRET_WORDS = "بث مباشر"
START = utc(2026, 7, 1, 12, 0)


class Mailbox:
    """aiosmtpd handler: every message the server accepts."""

    def __init__(self) -> None:
        self.messages: list = []
        self.refuse: set[str] = set()  # addresses answered "550 no such user"

    async def handle_RCPT(self, server, session, envelope, address, options):  # noqa: N802
        if address in self.refuse:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        self.messages.append(envelope)
        return "250 OK"


VIAS = {"language_oncall": ("slack", "sms", "voice"), "language_backup": ("slack", "email")}


class ContactHarness(ToolHarness):
    def __init__(self, tmp_path, db_url, twilio: TwilioStandin, smtp_port: int,
                 vias: dict | None = None):
        self.extra_settings = dict(
            twilio_account_sid=SID, twilio_auth_token=TOKEN, twilio_from=FROM,
            twilio_api_url=twilio.url, smtp_url=f"smtp://127.0.0.1:{smtp_port}",
            email_from="oncall@example.org")
        super().__init__(tmp_path, START, database_url=db_url, public_url=True)
        self.twilio = twilio
        with self.runtime.sessions() as session, session.begin():
            team = team_store.load_team(session, "safety-escalations")
            people = tuple(dataclasses.replace(s, phone=OMAR_PHONE, email=OMAR_MAIL)
                           if s.id == OMAR else
                           dataclasses.replace(s, phone=RAMI_PHONE, email=RAMI_MAIL)
                           if s.id == RAMI else s for s in team.specialists)
            vias = VIAS if vias is None else vias
            policies = tuple((name, dataclasses.replace(p, steps=tuple(
                EscalationStep(s.notify, s.wait, vias.get(s.notify, s.via))
                for s in p.steps))) if name == "sev1" else (name, p)
                for name, p in team.policies)
            team_store.save_team(session, dataclasses.replace(
                team, specialists=people, policies=policies),
                expected_revision=team_store.team_revision(session, team.name))

    def twilio_post(self, path: str, form: dict[str, str], signed: bool = True,
                    query: str = "") -> tuple[int, str]:
        """POST as Twilio does: a form, signed over the public URL and the fields."""
        url = self.settings.public_url + path + (f"?{query}" if query else "")
        signature = RequestValidator(TOKEN if signed else "forged").compute_signature(
            url, form)
        req = urllib.request.Request(
            self.server.url + path + (f"?{query}" if query else ""),
            data=urllib.parse.urlencode(form).encode(), method="POST",
            headers={"X-Twilio-Signature": signature,
                     "Content-Type": "application/x-www-form-urlencoded"})
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    def request_row(self, ticket: str):
        [row] = [r for r in self.requests() if r.ticket == ticket]
        return row

    def timeline(self, ticket: str) -> str:
        self.wait_posted("C0INTAKE01", f" {ticket} ")
        return "\n".join(m["text"] for m in self.thread(self.card(ticket)["ts"]))


@pytest.fixture
def mailbox():
    box = Mailbox()
    with socket.socket() as s:  # a free port (the controller checks it by connecting)
        s.bind(("127.0.0.1", 0))
        box.port = s.getsockname()[1]
    controller = Controller(box, hostname="127.0.0.1", port=box.port)
    controller.start()
    yield box
    controller.stop()


@pytest.fixture
def twilio():
    with TwilioStandin(account_sid=SID, auth_token=TOKEN) as tw:
        yield tw


@pytest.fixture
def desk(tmp_path, db_url, twilio, mailbox):
    h = ContactHarness(tmp_path, db_url, twilio, mailbox.port)
    h.mailbox = mailbox
    yield h
    h.quiet_close()


def file(h: ContactHarness, text: str = ARABIC) -> None:
    r = h.command("/emergency", text)
    assert r.status == 200 and "T-" in r.json()["text"], r.text


def test_a_step_via_sms_and_voice_texts_and_calls_the_right_number_once(desk):
    h = desk
    file(h)
    h.settle()
    [sms] = h.twilio.messages
    assert (sms["to"], sms["from"]) == (OMAR_PHONE, FROM)
    assert sms["body"].startswith("On-call page T-1: SEV1 (urgent) Arabic request")
    assert "Reply 1 to acknowledge, 2 to decline" in sms["body"]
    assert SECRET_WORDS not in sms["body"]
    [call] = h.twilio.calls
    assert call["to"] == OMAR_PHONE
    assert '<Gather action="' in call["twiml"] and 'numDigits="1"' in call["twiml"]
    assert "/twilio/voice?page=" in call["twiml"] and "Press 1 to acknowledge" in call["twiml"]
    assert SECRET_WORDS not in call["twiml"]
    assert h.mailbox.messages == []  # the email step has not come
    assert "(also by SMS and a phone call)" in h.timeline("T-1")
    # Counted by channel like Slack's deliveries.
    metrics = h.runtime.metrics.render().decode()
    assert 'channel="sms",kind="sms",process=' in metrics.replace(' ', '')
    assert 'channel="voice",kind="voice"' in metrics


def test_a_signed_reply_1_acknowledges_and_slack_follows(desk):
    h = desk
    file(h)
    h.settle()
    status, body = h.twilio_post("/twilio/sms", {"From": OMAR_PHONE, "To": FROM,
                                                 "Body": " 1 ", "MessageSid": "SM1"})
    assert status == 200 and "<Response><Message>You have T-1." in body, body
    h.settle()
    row = h.request_row("T-1")
    assert (row.status, row.assignee) == ("acknowledged", OMAR)
    assert f"<@{OMAR}> acknowledged by SMS" in h.timeline("T-1")
    h.wait_updated(h.card("T-1")["ts"], "Acknowledged")
    # A second "1" changes nothing and says so.
    status, body = h.twilio_post("/twilio/sms", {"From": OMAR_PHONE, "Body": "1"})
    assert "no page waiting" in body


def test_a_forged_signature_gets_403_and_changes_nothing(desk):
    h = desk
    file(h)
    h.settle()
    status, body = h.twilio_post("/twilio/sms", {"From": OMAR_PHONE, "Body": "1"},
                                 signed=False)
    assert status == 403 and "Invalid Twilio signature" in body
    status, _ = h.twilio_post("/twilio/voice", {"To": OMAR_PHONE, "Digits": "1"},
                              signed=False, query="page=1")
    assert status == 403
    assert h.request_row("T-1").status == "open"


def test_pressing_1_in_the_call_acknowledges(desk):
    h = desk
    file(h)
    h.settle()
    [call] = h.twilio.calls
    page = call["twiml"].split("/twilio/voice?page=")[1].split('"')[0]
    # Fetched without a key (the call's URL): it asks for one, changing nothing.
    status, body = h.twilio_post("/twilio/voice", {"To": OMAR_PHONE, "From": FROM},
                                 query=f"page={page}")
    assert status == 200 and "<Gather" in body and "Press 1 to acknowledge" in body
    assert h.request_row("T-1").status == "open"
    status, body = h.twilio_post("/twilio/voice", {"To": OMAR_PHONE, "From": FROM,
                                                   "Digits": "1"}, query=f"page={page}")
    assert status == 200 and "<Say>You have T-1." in body, body
    h.settle()
    assert h.request_row("T-1").status == "acknowledged"
    assert f"<@{OMAR}> acknowledged by phone" in h.timeline("T-1")


def test_the_email_step_sends_one_message_without_the_text_of_a_sensitive_request(desk):
    h = desk
    r = h.command("/emergency", f"graphic {ARABIC}")
    assert r.status == 200, r.text
    h.settle()
    for _ in range(2):  # language_oncall 2m, language_oncall_all 2m: the backup step
        h.advance(2 * 60)
        h.settle()
    [mail] = h.mailbox.messages
    assert mail.rcpt_tos == [RAMI_MAIL] and mail.mail_from == "oncall@example.org"
    msg = email.message_from_bytes(mail.content, policy=email.policy.default)
    assert msg["Subject"].startswith("[T-1] On-call page: SEV1 (urgent) Arabic request")
    body = msg.get_content()
    assert "This request is sensitive: its text is only in Slack" in body
    assert SECRET_WORDS not in body and "app_redirect?channel=C0INTAKE01" in body
    assert "(also by email)" in h.timeline("T-1")
    assert len(h.twilio.messages) == 1  # Omar's, at the first step; Rami has no sms step


def test_a_number_twilio_rejects_moves_the_page_on(tmp_path, db_url, mailbox):
    with TwilioStandin(account_sid=SID, auth_token=TOKEN, invalid=(OMAR_PHONE,)) as tw:
        h = ContactHarness(tmp_path, db_url, tw, mailbox.port)
        try:
            file(h)
            h.settle()
            h.advance(0)  # the reconciler tick that moves it on
            h.settle()
            assert {r["code"] for r in tw.refused} == {21211}
            assert tw.messages == []
            pages = h.db_pages(1)
            assert pages[0][0] == OMAR and pages[0][4] == "undeliverable", pages
            assert any(p[0] == RAMI and p[4] == "pending" for p in pages), pages
            assert (f"Could not reach <@{OMAR}> by SMS (phone number refused)"
                    in h.timeline("T-1"))
        finally:
            h.quiet_close()


def test_a_reply_naming_a_ticket_answers_that_one(desk):
    h = desk
    file(h, ARABIC + " 1")
    file(h, ARABIC + " 2")
    h.settle()
    assert [m["to"] for m in h.twilio.messages] == [OMAR_PHONE, OMAR_PHONE]
    status, body = h.twilio_post("/twilio/sms", {"From": OMAR_PHONE, "Body": "2 t-1"})
    assert status == 200 and "Declined T-1" in body and "Still waiting for you: T-2" in body
    assert "now paging Rami" in body and "{@" not in body, body
    h.settle()
    assert f"<@{OMAR}> declined by SMS" in h.timeline("T-1")
    assert h.request_row("T-2").status == "open"
    # Anything else gets the help, and changes nothing.
    status, body = h.twilio_post("/twilio/sms", {"From": OMAR_PHONE, "Body": "yes please"})
    assert "Reply 1 to acknowledge or 2 to decline" in body
    # A number no page went to answers nothing.
    status, body = h.twilio_post("/twilio/sms", {"From": "+15550001111", "Body": "1"})
    assert "no page waiting" in body and h.request_row("T-2").status == "open"


def test_an_address_the_mail_server_refuses_moves_the_page_on(desk):
    h = desk
    h.mailbox.refuse.add(RAMI_MAIL)
    file(h)
    h.settle()
    for _ in range(2):
        h.advance(2 * 60)
        h.settle()
    h.advance(0)
    h.settle()
    assert h.mailbox.messages == []
    rami = [p for p in h.db_pages(1) if p[0] == RAMI]
    assert rami and rami[0][4] == "undeliverable", h.db_pages(1)
    assert (f"Could not reach <@{RAMI}> by email (email address refused)"
            in h.timeline("T-1"))


def test_a_sev1_reaches_the_off_shift_backups_phone_and_is_acknowledged_from_it(
        tmp_path, db_url, twilio, mailbox):
    """Issue 14's first "Done when": nobody on shift answers a sev1; its backup step
    texts Rami, the off-shift Arabic backup, and his reply "1" makes it his."""
    h = ContactHarness(tmp_path, db_url, twilio, mailbox.port,
                       vias={"language_backup": ("slack", "sms")})
    try:
        file(h)
        h.settle()
        assert h.twilio.messages == []  # the on-call steps page by Slack only here
        for _ in range(10):  # the on-call steps' waits run out, one minute at a time
            if any(m["to"] == RAMI_PHONE for m in h.twilio.messages):
                break
            h.advance(60)
            h.settle()
        [sms] = [m for m in h.twilio.messages if m["to"] == RAMI_PHONE]
        assert "T-1" in sms["body"] and "Reply 1 to acknowledge" in sms["body"]
        status, body = h.twilio_post("/twilio/sms", {"From": RAMI_PHONE, "To": FROM,
                                                     "Body": "1", "MessageSid": "SM9"})
        assert status == 200 and "You have T-1." in body, body
        h.settle()
        row = h.request_row("T-1")
        assert (row.status, row.assignee) == ("acknowledged", RAMI)
        assert f"<@{RAMI}> acknowledged by SMS" in h.timeline("T-1")
    finally:
        h.quiet_close()
