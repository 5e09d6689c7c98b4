"""What every request to /slack/events passes before Bolt sees it: a size limit applied
before the body is read, Slack's signature checked over the raw bytes, and the shape
of the payload (`bot.app.payloads`).

Why here and not in Bolt: Bolt reads the whole body, decodes and parses it, and only
then checks the signature, so a stranger's 100 MB body cost the process 200 MB and a
malformed one a 500 with a traceback. Here a stranger costs at most `MAX_BODY` bytes
and gets a short plain answer; Bolt still checks the signature again (it is cheap).
"""

from __future__ import annotations

import hashlib
import hmac
import io
import logging
import time
from collections.abc import Callable, Iterable
from urllib.parse import parse_qs

from slack_sdk.signature import SignatureVerifier

from bot.app.payloads import problem_with

log = logging.getLogger(__name__)

# Slack's payloads are a few kilobytes (a modal's state, a command's text); a megabyte
# leaves room for any of them and keeps what a stranger can make us hold small.
MAX_BODY = 1024 * 1024
_READ_CHUNK = 64 * 1024
SIGNATURE_MAX_AGE_S = 5 * 60  # Slack's rule, as slack_sdk applies it

Wsgi = Callable[[dict, Callable], Iterable[bytes]]


class Refusal(Exception):
    """A request answered here, without Bolt: an HTTP status and a plain sentence."""

    def __init__(self, status: str, text: str):
        super().__init__(text)
        self.status, self.text = status, text


def plain(start_response, status: str, text: str) -> list[bytes]:
    body = (text + "\n").encode()
    start_response(status, [("Content-Type", "text/plain; charset=utf-8"),
                            ("Content-Length", str(len(body)))])
    return [body]


def read_body(environ: dict, limit: int = MAX_BODY) -> bytes:
    """The request body, refused (413) before anything is read when its declared length
    is over `limit`, and read with a cap when its length is not declared (chunked)."""
    declared = environ.get("CONTENT_LENGTH") or ""
    stream = environ.get("wsgi.input")
    if declared:
        try:
            length = int(declared)
        except ValueError:
            raise Refusal("400 Bad Request", "The Content-Length header is not a number.") \
                from None
        if length < 0:
            raise Refusal("400 Bad Request", "The Content-Length header is negative.")
        if length > limit:
            raise Refusal("413 Content Too Large",
                          f"The request body is over {limit} bytes; Slack never sends that much.")
        return _read_exactly(stream, length)
    if not environ.get("wsgi.input_terminated"):
        return b""  # no length and no end marker: a body cannot be told apart from the next
    body = bytearray()
    while len(body) <= limit:
        chunk = stream.read(min(_READ_CHUNK, limit + 1 - len(body)))
        if not chunk:
            return bytes(body)
        body += chunk
    raise Refusal("413 Content Too Large",
                  f"The request body is over {limit} bytes; Slack never sends that much.")


def _read_exactly(stream, length: int) -> bytes:
    body = bytearray()
    while len(body) < length:
        chunk = stream.read(length - len(body))
        if not chunk:
            raise Refusal("400 Bad Request", "The request body ended before its declared length.")
        body += chunk
    return bytes(body)


def _signed(verifier: SignatureVerifier | None, body: bytes, environ: dict) -> bool:
    timestamp = environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP", "")
    signature = environ.get("HTTP_X_SLACK_SIGNATURE", "")
    if verifier is None or not timestamp.isdigit() or not signature:
        return False  # (the verifier raises on a timestamp that is not a number)
    try:
        return verifier.is_valid(body, timestamp, signature)
    except UnicodeDecodeError:
        # slack_sdk signs text; Slack signs bytes. A body that is not UTF-8 is checked
        # over its bytes the same way (v0:timestamp:body, HMAC-SHA256), so a signed one
        # can be told "not UTF-8" and an unsigned one is still a 401.
        if abs(time.time() - int(timestamp)) > SIGNATURE_MAX_AGE_S:
            return False
        mac = hmac.new(verifier.signing_secret.encode(),
                       b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256)
        return hmac.compare_digest("v0=" + mac.hexdigest(), signature)


def _ssl_check(body: bytes) -> bool:
    """Slack's check of a slash command's HTTPS URL (`ssl_check=1`), which Bolt answers
    200 with no effect; let it through signed or not, as Bolt does."""
    return len(body) < 1024 and parse_qs(body.decode("latin-1")).get("ssl_check") == ["1"]


def guarded(slack: Wsgi, signing_secret: str, limit: int = MAX_BODY) -> Wsgi:
    """`slack` (Bolt's WSGI handler) behind the limit, the signature and the shape check."""
    # No secret, no way to tell Slack from anyone: every post is refused.
    verifier = SignatureVerifier(signing_secret) if signing_secret.strip() else None

    def app(environ: dict, start_response) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") != "POST":
            return slack(environ, start_response)  # Bolt answers 404 (OAuth is off)
        try:
            body = read_body(environ, limit)
            if not _signed(verifier, body, environ) and not _ssl_check(body):
                raise Refusal("401 Unauthorized",
                              "This request is not signed by Slack, or was signed more than "
                              "5 minutes ago.")
            problem = problem_with(body, environ.get("CONTENT_TYPE", ""))
            if problem:
                raise Refusal("400 Bad Request",
                              f"This request from Slack could not be read: {problem}. "
                              "Nothing was changed.")
        except Refusal as refusal:
            # One line, no traceback: these are a stranger's or a broken client's
            # requests, not our bugs.
            log.warning("refused a request to %s: %s %s", environ.get("PATH_INFO"),
                        refusal.status, refusal.text)
            return plain(start_response, refusal.status, refusal.text)
        except OSError as err:  # the client went away or stalled past the server's timeout
            log.warning("reading a request to %s failed: %s", environ.get("PATH_INFO"), err)
            return plain(start_response, "400 Bad Request", "The request body could not be read.")
        environ = {**environ, "wsgi.input": io.BytesIO(body), "CONTENT_LENGTH": str(len(body))}
        return slack(environ, start_response)

    return app
