"""Pages by email through SMTP (`smtplib`), as a transport of the outbox like the Slack
and Twilio senders.

`SMTP_URL`: smtp://user:password@host:587 (STARTTLS whenever the server offers it,
login when a user is given) or smtps://user:password@host:465 (TLS from the start).
The message is `contact_texts.email`: the page's ticket, severity, language and
category, a link to the ticket card in Slack when it is posted, and the request's text
only when it is not sensitive.

A recipient the server refuses with a 5xx is permanent ("email:550"): the page moves on.
A 4xx, or no connection at all, is retried. A connection lost after the message was
handed over is unsure; SMTP has no look-up, so a retry may deliver a second copy (its
Message-ID is the same, derived from the outbox rows, so mail clients fold the two).
"""

from __future__ import annotations

import contextlib
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate
from urllib.parse import unquote, urlsplit

from bot.core import contact_texts
from bot.services.outbox_items import Delivery, NotSent, PermanentError, Unsure

__all__ = ["EmailSender"]

TIMEOUT = 15.0


class EmailSender:
    def __init__(self, smtp_url: str, from_address: str):
        u = urlsplit(smtp_url)
        self.tls = u.scheme == "smtps"
        self.host = u.hostname or "localhost"
        self.port = u.port or (465 if self.tls else 587)
        self.user = unquote(u.username) if u.username else None
        self.password = unquote(u.password) if u.password else None
        self.from_address = from_address

    def lane(self, d: Delivery) -> str:
        return f"smtp:{self.host}"

    def message(self, d: Delivery) -> EmailMessage:
        link = (f"https://slack.com/app_redirect?channel={d.card[0]}" if d.card else None)
        mail = contact_texts.email(d.request, link)
        msg = EmailMessage()
        msg["From"], msg["To"], msg["Subject"] = self.from_address, d.target, mail.subject
        msg["Date"] = formatdate(localtime=False)
        domain = self.from_address.rpartition("@")[2] or "oncall.invalid"
        msg["Message-ID"] = f"<page-{'-'.join(str(i) for i in d.ids)}@{domain}>"
        msg.set_content(mail.body)
        return msg

    def send(self, d: Delivery) -> tuple[str, str] | None:
        if d.page is None or d.request is None or d.page.state != "pending":
            return None  # answered before its turn: nothing to say any more
        msg = self.message(d)
        try:
            server = self._connect()
        except (OSError, smtplib.SMTPException) as err:
            raise NotSent(f"could not reach the mail server: {err}") from err
        try:
            server.send_message(msg)
        except smtplib.SMTPRecipientsRefused as err:
            code = min(c for c, _ in err.recipients.values())
            if code >= 500:
                raise PermanentError(f"email:{code}") from err
            raise NotSent(f"mail server deferred the recipient ({code})") from err
        except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as err:
            raise NotSent(f"mail server refused the message ({err.smtp_code})") from err
        except (TimeoutError, smtplib.SMTPServerDisconnected, OSError) as err:
            raise Unsure(f"mail server connection lost ({type(err).__name__})") from err
        finally:
            with contextlib.suppress(OSError, smtplib.SMTPException):
                server.quit()
        return "email", f"page-{d.ids[0] if d.ids else 0}"

    def _connect(self) -> smtplib.SMTP:
        context = ssl.create_default_context()
        if self.tls:
            server: smtplib.SMTP = smtplib.SMTP_SSL(self.host, self.port, timeout=TIMEOUT,
                                                    context=context)
        else:
            server = smtplib.SMTP(self.host, self.port, timeout=TIMEOUT)
        server.ehlo()
        if not self.tls and server.has_extn("starttls"):
            server.starttls(context=context)
            server.ehlo()
        if self.user:
            server.login(self.user, self.password or "")
        return server
