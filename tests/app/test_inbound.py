"""The body limit of /slack/events, over HTTP to the wired app served in-process (a
server with no limit of its own, so the app's limit is the one that answers), and the
capped read of a body of unknown length (chunked), which that server cannot send."""

from __future__ import annotations

import io
import socket

import pytest

from bot.app.inbound import MAX_BODY, Refusal, read_body
from bot.demo.simulate import FORM
from bot.store.paging_tables import RequestRow
from tests.slack_harness import ToolHarness, sign, utc


@pytest.fixture
def slack(tmp_path):
    h = ToolHarness(tmp_path, utc(2026, 7, 1, 12, 0))
    yield h
    h.quiet_close()


def _raw(h, head: bytes, body: bytes = b"") -> bytes:
    port = int(h.server.url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(head + body)
        s.shutdown(socket.SHUT_WR)
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    return data


def test_declared_length_over_the_limit_is_refused_without_reading(slack):
    """The headers announce 100 MB and no byte of it is sent: the 413 comes anyway (a
    server waiting to read it would never answer)."""
    answer = _raw(slack, b"POST /slack/events HTTP/1.1\r\nHost: bot\r\n"
                         b"Content-Type: application/x-www-form-urlencoded\r\n"
                         b"Content-Length: 104857600\r\n\r\n")
    assert answer.startswith(b"HTTP/1.0 413") or answer.startswith(b"HTTP/1.1 413"), answer
    assert b"over 1048576 bytes" in answer
    assert slack.count_rows(RequestRow) == 0


def test_signed_body_just_over_the_limit_is_refused_and_one_at_it_is_read(slack):
    text = "sev1 lang:ar تهديد بتفجير مدرسة"
    body = slack.command_body("/emergency", text)
    # One byte over, declared: refused before a byte of the body is read (sending the
    # body too would race the server closing the connection on it).
    answer = _raw(slack, b"POST /slack/events HTTP/1.1\r\nHost: bot\r\n"
                         b"Content-Type: application/x-www-form-urlencoded\r\n"
                         b"Content-Length: " + str(MAX_BODY + 1).encode() + b"\r\n\r\n")
    assert b" 413 " in answer.split(b"\r\n", 1)[0], answer
    assert b"Slack never sends that much" in answer
    at = body + b"&pad=" + b"x" * (MAX_BODY - len(body) - 5)
    assert len(at) == MAX_BODY
    r = slack.post_raw(at, FORM, sign(at))
    assert r.status == 200 and "Filed T-1" in r.json()["text"], r.text


@pytest.mark.parametrize("length", [b"abc", b"-5"], ids=["not-a-number", "negative"])
def test_bad_content_length_is_a_plain_400(slack, length):
    answer = _raw(slack, b"POST /slack/events HTTP/1.1\r\nHost: bot\r\n"
                         b"Content-Type: application/x-www-form-urlencoded\r\n"
                         b"Content-Length: " + length + b"\r\n\r\n", b"command=%2Femergency")
    assert b" 400 " in answer.split(b"\r\n", 1)[0], answer
    assert b"Content-Length" in answer and b"Traceback" not in answer


def _chunked(body: bytes) -> dict:
    return {"wsgi.input": io.BytesIO(body), "wsgi.input_terminated": True}


def test_body_of_unknown_length_is_read_up_to_the_limit():
    assert read_body(_chunked(b"x" * 1000), limit=1000) == b"x" * 1000
    stream = io.BytesIO(b"x" * 10_000_000)
    with pytest.raises(Refusal) as refused:
        read_body({"wsgi.input": stream, "wsgi.input_terminated": True}, limit=1000)
    assert refused.value.status.startswith("413")
    assert stream.tell() <= 1001  # read no further than it takes to know


def test_body_of_unknown_length_without_an_end_marker_is_not_read():
    """No length and no end marker (a server that does not de-chunk): nothing can tell
    where the body ends, so none of it is read (and the signature check then fails)."""
    stream = io.BytesIO(b"payload=1")
    assert read_body({"wsgi.input": stream}) == b""
    assert stream.tell() == 0


def test_slacks_ssl_check_is_answered_and_changes_nothing(slack):
    """Slack checks a slash command's HTTPS URL with `ssl_check=1`; Bolt answers it 200
    with no effect, so it passes the signature check like it passes Bolt's."""
    r = slack.post_raw(b"ssl_check=1&token=legacy", FORM, {})
    assert r.status == 200
    assert slack.count_rows(RequestRow) == 0
    r = slack.post_raw(b"ssl_check=1&command=%2Femergency&text=sev1+x&user_id=U1", FORM, {})
    assert r.status == 200 and r.body == b""  # Bolt's ssl_check answer: nothing filed
    assert slack.count_rows(RequestRow) == 0
