"""The one place the bot builds its Slack ``WebClient``.

Retry behaviour of the client returned by :func:`make_web_client` (slack_sdk 3.x,
urllib-based ``WebClient``):

* The handlers share one attempt counter per API call (``RetryState.current_attempt``,
  starting at 0). After any handler asks for a retry the counter goes up by one, and
  a handler only retries while ``current_attempt < its max_retry_count``. So a call
  makes at most 1 + 3 attempts in total, whatever mix of failures it meets, and the
  connection handler gives up once two retries of any kind have been spent.
* HTTP 429: ``RateLimitErrorRetryHandler`` sleeps ``int(Retry-After)`` plus 0-1 s of
  random jitter, then retries (up to 3 retries). When retries run out the call
  raises ``SlackApiError`` with status 429 and error ``ratelimited``.
* HTTP 500 and 503: ``ServerErrorRetryHandler`` sleeps ``0.5 * 2**attempt`` plus 0-1 s
  of jitter (0.5-1.5 s, 1-2 s, 2-3 s), then retries (up to 3 retries); then
  ``SlackApiError``. Other 5xx codes are not retried.
* Connection refused/reset, or closed without an answer (``URLError``,
  ``ConnectionResetError``, ``RemoteDisconnected``): ``ConnectionErrorRetryHandler``
  retries with the same backoff, up to 2 retries; then the error is raised.
* Read timeout (no answer within ``timeout`` seconds): urllib raises a bare
  ``TimeoutError``, which none of the handlers retry, so it surfaces at once. That
  is the safe outcome: Slack may well have acted on the request (posted the page),
  and a blind retry would post it twice. Callers decide.
* ``{"ok": false, ...}`` answers with HTTP 200 are never retried; they raise
  ``SlackApiError``.

Retries of non-idempotent calls (``chat.postMessage``) after a 5xx can duplicate a
message if Slack did act before failing; the 429 path cannot (Slack rejected it).

Connections are kept open (``KeepAliveWebClient``): slack_sdk's urllib path opens a new
TCP (and TLS) connection for every call, and a filed request makes three calls; each
thread keeps one connection per host instead. Each attempt is still one request, and it
fails the way urllib fails (``URLError`` when the request could not be sent,
``RemoteDisconnected``/``ConnectionResetError``/``TimeoutError`` while waiting for the
answer, ``HTTPError`` for a status outside 2xx), so the retry rules above are unchanged.
A connection the server has closed while idle is noticed before it is reused.

``KeepAliveWebClient`` also skips what slack_sdk's urllib path computes and throws away
on every call (see the class): a client without retry handlers (``retries=False``) goes
from the prepared payload to the ``SlackResponse`` with one JSON encoding, one write and
one read. Measured with slack_sdk 3.48 on the page DM, card and thread line of a filed
request: about 1.0 ms of CPU per call before, 0.7 ms after, of which JSON encoding and
decoding (Slack echoes the message back) are most of what is left.
"""

from __future__ import annotations

import http.client
import io
import logging
import select
import threading
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlencode, urlsplit

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.handler import RetryHandler
from slack_sdk.web.internal_utils import (
    _build_unexpected_body_error_message,
    convert_bool_to_0_or_1,
)
from slack_sdk.web.slack_response import SlackResponse

from bot import json_text

_MAXLINE = 65536  # as http.client: the longest status or header line
_MAXHEADERS = 100

__all__ = ["KeepAliveWebClient", "make_web_client", "retry_handlers"]


def retry_handlers() -> list[RetryHandler]:
    """Fresh retry handlers: connection errors x2, HTTP 429 x3, HTTP 500/503 x3."""
    return [
        ConnectionErrorRetryHandler(max_retry_count=2),
        RateLimitErrorRetryHandler(max_retry_count=3),
        ServerErrorRetryHandler(max_retry_count=3),
    ]


def make_web_client(
    token: str | None, base_url: str | None = None, timeout: float = 10,
    retries: bool = True,
) -> WebClient:
    """A ``WebClient`` for ``token`` with the bot's retry policy (see module docstring).

    ``base_url`` None means Slack's own API; otherwise it gets a trailing slash
    (e.g. a stand-in's ``.url`` or a GovSlack base URL). ``timeout`` is seconds to
    wait for each attempt's answer. ``retries=False``: no retry and no sleep inside
    the client (the outbox's sender: it must not hold a thread through a Retry-After,
    and it retries itself, looking a message up before it posts it again).
    """
    url = base_url or WebClient.BASE_URL
    if not url.endswith("/"):
        url += "/"
    return KeepAliveWebClient(
        token=token,
        base_url=url,
        timeout=timeout,  # type: ignore[arg-type]  # slack_sdk annotates int; floats work
        retry_handlers=retry_handlers() if retries else [],
    )


class KeepAliveWebClient(WebClient):
    """A ``WebClient`` whose calls reuse one open connection per thread and host, and
    that skips the work slack_sdk's urllib path does for nothing on every call.

    Checked against slack_sdk 3.48.0 and 3.33.0 (the lower bound in pyproject.toml): the
    three hooks below have the same signatures and roles in both. Everything public
    stays slack_sdk's: the API methods, ``api_call`` (URL, token, headers, default
    params, deprecation warnings), ``SlackResponse`` and its ``validate`` (so
    ``SlackApiError`` on ``ok: false`` or a status other than 200), the retry handlers
    and their ``RetryState``. Uploads (multipart bodies), a proxy and any URL other than
    http(s) take slack_sdk's own path unchanged.

    * ``_urllib_api_call`` (prepared params -> ``SlackResponse``): slack_sdk guards its
      "Sending a request" debug line with ``logger.level <= DEBUG``, which is true for
      any logger left at NOTSET (its own module logger is), so it formats the whole
      payload (``repr`` of every block) on each call and then drops it: as much CPU as
      encoding the JSON. Here the line is built only when DEBUG is enabled
      (``isEnabledFor``): the same line reaches the same handlers.
    * ``_perform_urllib_http_request`` (encode, then attempts under the retry handlers):
      the body is encoded as slack_sdk does. Without retry handlers (the outbox's
      client) there is one attempt, so no ``urllib.request.Request`` or ``RetryState``
      is built: the answer becomes the dict slack_sdk's loop returns (a non-2xx one as
      its ``HTTPError`` branch builds it, ``Retry-After`` under both spellings) and a
      failure is logged and raised as that loop does. With handlers it is slack_sdk's
      loop, unchanged.
    * ``_perform_urllib_http_request_internal`` (send one prepared request, under the
      retry handlers): on this thread's kept-open connection, failing the way urllib
      fails (``HTTPError`` for a status outside 2xx, which the handlers read).

    Both ways a request goes out on this thread's connection (see ``_Line``), and its
    "Received the following response" debug line, too, is built only when DEBUG is on."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._local = threading.local()

    def _urllib_api_call(  # slack_sdk's step from prepared params to a SlackResponse
        self, *, token: str | None = None, url: str, query_params: dict[str, str],
        json_body: dict | None, body_params: dict[str, str], files: dict | None,
        additional_headers: dict[str, str],
    ) -> SlackResponse:
        if files or not self._own_transport(url):
            return super()._urllib_api_call(
                token=token, url=url, query_params=query_params, json_body=json_body,
                body_params=body_params, files=files,  # type: ignore[arg-type]
                additional_headers=additional_headers)
        query_params = convert_bool_to_0_or_1(query_params)  # type: ignore[assignment]
        body_params = convert_bool_to_0_or_1(body_params)  # type: ignore[assignment]
        if self._logger.isEnabledFor(logging.DEBUG):
            shown = {k: "(redacted)" if k.lower() == "authorization" else v
                     for k, v in additional_headers.items()}
            self._logger.debug(
                f"Sending a request - url: {url}, query_params: {_shown(query_params)}, "
                f"body_params: {_shown(body_params)}, files: {{}}, "
                f"json_body: {json_body}, headers: {shown}")
        request_args: dict[str, Any] = {
            "headers": self._build_urllib_request_headers(
                token=token or self.token,  # type: ignore[arg-type]
                has_json=json_body is not None, has_files=files is not None,
                additional_headers=additional_headers),
            "data": {}, "params": body_params, "files": files, "json": json_body,
        }
        if query_params:
            q = urlencode(query_params)
            url = f"{url}&{q}" if "?" in url else f"{url}?{q}"
        response = self._perform_urllib_http_request(url=url, args=request_args)
        body = response.get("body")
        data: Any = body
        if "parsed_body" in response:  # parsed already by a retry handler's check
            data = response["parsed_body"]
        elif body is not None and not isinstance(body, bytes):
            try:
                data = json_text.loads(body)
            except json_text.JSONDecodeError:
                message = _build_unexpected_body_error_message(body)
                self._logger.error(f"Failed to decode Slack API response: {message}")
                data = {"ok": False, "error": message}
        all_params: dict[str, Any] = dict(body_params) if body_params else {}
        if query_params:
            all_params.update(query_params)
        request_args["params"] = all_params  # as slack_sdk keeps them on the response
        return SlackResponse(
            client=self, http_verb="POST", api_url=url, req_args=request_args, data=data,
            headers=response["headers"], status_code=response["status"],
        ).validate()

    def _perform_urllib_http_request(  # slack_sdk's encode-and-retry step
        self, *, url: str, args: dict[str, Any]
    ) -> dict[str, Any]:
        if self.retry_handlers or args["data"] or not self._own_transport(url):
            return super()._perform_urllib_http_request(url=url, args=args)
        headers = args["headers"]
        body: bytes | None = None
        if args["json"]:  # as slack_sdk sends them (bot.json_text: the encoding)
            body = json_text.dumps_bytes(args["json"])
            headers["Content-Type"] = "application/json;charset=utf-8"
        elif args["params"]:
            body = urlencode(args["params"]).encode("utf-8")
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            reply = self._exchange(url, "POST", body, headers)
        except Exception as err:  # as slack_sdk's loop when no handler takes it
            self._logger.error(f"Failed to send a request to Slack API server: {err}")
            raise
        status, answer, raw = reply.status, reply.headers, reply.body
        media, charset = _content_type(_content_type_of(answer))
        if 200 <= status < 300:
            return self._answered(status, answer, raw, media, charset)
        if status == 429:  # as slack_sdk's HTTPError branch: both spellings
            if "retry-after" not in answer and "Retry-After" in answer:
                answer["retry-after"] = answer["Retry-After"]
            if "Retry-After" not in answer and "retry-after" in answer:
                answer["Retry-After"] = answer["retry-after"]
        return {"status": status, "headers": answer, "body": raw.decode(charset)}

    def _perform_urllib_http_request_internal(  # slack_sdk's transport step
        self, url: str, req: urllib.request.Request
    ) -> dict[str, Any]:
        if not self._own_transport(url):
            return super()._perform_urllib_http_request_internal(url, req)
        reply = self._exchange(url, req.get_method(), req.data, dict(req.header_items()))
        status, headers, raw = reply.status, reply.headers, reply.body
        if not 200 <= status < 300:  # as urllib's HTTPErrorProcessor
            raise urllib.error.HTTPError(url, status, reply.reason, reply.message(),
                                         io.BytesIO(raw))
        return self._answered(status, headers, raw, *_content_type(_content_type_of(headers)))

    def _answered(self, status: int, headers: dict[str, str], raw: bytes, media: str,
                  charset: str) -> dict[str, Any]:
        """A 2xx answer as slack_sdk's transport step returns it (a gzip body as bytes,
        as ``admin.analytics.getFile`` sends it), with its debug line when DEBUG is on."""
        body: str | bytes = raw if media == "application/gzip" else raw.decode(charset)
        if self._logger.isEnabledFor(logging.DEBUG):
            shown = "(binary)" if isinstance(body, bytes) else body
            self._logger.debug("Received the following response - "
                               f"status: {status}, headers: {headers}, body: {shown}")
        return {"status": status, "headers": headers, "body": body}

    def _own_transport(self, url: str) -> bool:
        """Calls this client sends itself: http(s), no proxy (those are slack_sdk's)."""
        return self.proxy is None and url[:8].lower().startswith(("http://", "https://"))

    def _exchange(self, url: str, method: str, body: bytes | None,
                  headers: dict[str, Any]) -> _Answer:
        """One request on this thread's connection to the URL's host, and its answer
        read in full. Fails as urllib does: ``URLError`` when the request could not be
        sent (nor the connection opened); while waiting for the answer, what http.client
        raises (``RemoteDisconnected``, ``IncompleteRead``, ``TimeoutError``,
        ``ConnectionResetError``). The connection is closed then, so the next call opens
        a new one."""
        parts = urlsplit(url)
        line = self._connection(parts.scheme, parts.netloc)
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        request = _request_bytes(method, path, parts.netloc.rpartition("@")[2], headers,
                                 body)
        try:
            reader = line.send(request)
        except OSError as err:  # as urllib: a request that could not be sent
            line.close()
            raise urllib.error.URLError(err) from err
        try:
            answer = _read_answer(reader)
        except BaseException:  # the answer is lost: the next call starts afresh
            line.close()
            raise
        if answer.will_close:
            line.close()
        return answer

    def _connection(self, scheme: str, netloc: str) -> _Line:
        """This thread's connection to `netloc`, opened anew when the server closed it."""
        lines: dict[tuple[str, str], _Line] | None = getattr(self._local, "lines", None)
        if lines is None:
            lines = self._local.lines = {}
        line = lines.get((scheme, netloc))
        if line is None:
            timeout = self.timeout
            conn = (http.client.HTTPSConnection(netloc, timeout=timeout, context=self.ssl)
                    if scheme == "https" else http.client.HTTPConnection(netloc,
                                                                         timeout=timeout))
            line = lines[(scheme, netloc)] = _Line(conn)
        elif line.conn.sock is not None and _closed_by_peer(line.conn.sock):
            line.close()  # reopened by the next request
        return line


class _Line:
    """One kept-open connection. http.client opens it (TCP, TLS and its checks, the
    timeout on every socket operation); the request is written and the answer read
    here. http.client's own request and answer steps cost about a third of a Web API
    call's CPU: a header at a time through its state machine, and every answer's
    headers through the email package's parser (feedparser, header policy)."""

    __slots__ = ("conn", "reader")

    def __init__(self, conn: http.client.HTTPConnection) -> None:
        self.conn = conn
        self.reader: Any = None

    def send(self, request: bytes) -> Any:
        """Write the whole request (one write, headers and body); the answer's reader."""
        if self.conn.sock is None:
            self.conn.connect()
            self.reader = self.conn.sock.makefile("rb")
        self.conn.sock.sendall(request)
        return self.reader

    def close(self) -> None:
        if self.reader is not None:
            self.reader.close()
            self.reader = None
        self.conn.close()


class _Answer:
    """An HTTP answer read in full: its headers as a dict (as slack_sdk copies them),
    the raw header lines (for an ``HTTPError``'s message), the body."""

    __slots__ = ("status", "reason", "headers", "head", "body", "will_close")

    def __init__(self, status: int, reason: str, headers: dict[str, str], head: list[bytes],
                 body: bytes, will_close: bool) -> None:
        self.status, self.reason, self.headers = status, reason, headers
        self.head, self.body, self.will_close = head, body, will_close

    def message(self) -> http.client.HTTPMessage:
        """The headers as http.client parses them (for ``HTTPError``: error path only)."""
        return http.client.parse_headers(io.BytesIO(b"".join(self.head)))


def _request_bytes(method: str, path: str, host: str, headers: dict[str, Any],
                   body: bytes | None) -> bytes:
    """An HTTP/1.1 request as http.client writes it: Host and ``Accept-Encoding:
    identity`` unless given, Content-Length of the body (0 for none), the headers as
    given; header names and values that would split the request are refused as
    http.client refuses them (ValueError)."""
    names = {name.lower() for name in headers}
    out = [f"{method} {path} HTTP/1.1"]
    if "host" not in names:
        out.append(f"Host: {host}")
    if "accept-encoding" not in names:
        out.append("Accept-Encoding: identity")
    if "content-length" not in names and "transfer-encoding" not in names:
        out.append(f"Content-Length: {len(body) if body else 0}")
    for name, value in headers.items():
        value = str(value)
        if ":" in name or "\r" in name or "\n" in name or not name.strip():
            raise ValueError(f"Invalid header name {name!r}")
        if "\r" in value or "\n" in value:
            raise ValueError(f"Invalid header value {value!r}")
        out.append(f"{name}: {value}")
    out.append("\r\n")
    head = "\r\n".join(out).encode("latin-1")
    return head + body if body else head


def _read_answer(reader: Any) -> _Answer:
    """The answer to one request, read as http.client reads it: interim 1xx answers
    skipped, the body by Content-Length, chunked, or up to the close."""
    while True:
        status_line = reader.readline(_MAXLINE + 1)
        if not status_line:
            raise http.client.RemoteDisconnected(
                "Remote end closed connection without response")
        if len(status_line) > _MAXLINE:
            raise http.client.LineTooLong("status line")
        version, status, reason = _status(status_line)
        head = _read_head(reader)
        if status != 100:
            break
    headers: dict[str, str] = {}
    last = ""
    for raw in head[:-1]:
        text = raw.decode("iso-8859-1").rstrip("\r\n")
        if text[:1] in (" ", "\t") and last:  # a folded line continues the last header
            headers[last] += " " + text.strip()
            continue
        name, _, value = text.partition(":")
        last = name
        headers[name] = value.lstrip(" \t")
    lower = {name.lower(): value for name, value in headers.items()}
    connection = lower.get("connection", "").lower()
    if version in ("HTTP/1.0", "HTTP/0.9"):  # closed unless kept alive
        will_close = "keep-alive" not in connection and "keep-alive" not in lower
    elif version.startswith("HTTP/1."):
        will_close = "close" in connection
    else:
        raise http.client.UnknownProtocol(version)
    if 100 <= status < 200 or status in (204, 304):
        body = b""
    elif lower.get("transfer-encoding", "").lower() == "chunked":
        body = _read_chunked(reader)
    elif (length := _length(lower.get("content-length"))) is not None:
        body = reader.read(length) if length else b""
        if len(body) < length:
            raise http.client.IncompleteRead(body, length - len(body))
    else:  # no length: the body runs to the close
        body, will_close = reader.read(), True
    return _Answer(status, reason, headers, head, body, will_close)


def _status(line: bytes) -> tuple[str, int, str]:
    text = line.decode("iso-8859-1")
    version, _, rest = text.partition(" ")
    code, _, reason = rest.partition(" ")
    if not version.startswith("HTTP/"):
        raise http.client.BadStatusLine(text)
    try:
        status = int(code)
    except ValueError:
        raise http.client.BadStatusLine(text) from None
    if not 100 <= status <= 999:
        raise http.client.BadStatusLine(text)
    return version, status, reason.strip()


def _read_head(reader: Any) -> list[bytes]:
    """Header lines up to and including the blank line ending them."""
    head = []
    while True:
        raw = reader.readline(_MAXLINE + 1)
        if len(raw) > _MAXLINE:
            raise http.client.LineTooLong("header line")
        head.append(raw)
        if len(head) > _MAXHEADERS:
            raise http.client.HTTPException(f"got more than {_MAXHEADERS} headers")
        if raw in (b"\r\n", b"\n", b""):
            return head


def _length(value: str | None) -> int | None:
    try:
        length = int(value) if value is not None else None
    except ValueError:
        return None
    return length if length is not None and length >= 0 else None


def _read_chunked(reader: Any) -> bytes:
    parts: list[bytes] = []
    while True:
        size_line = reader.readline(_MAXLINE + 1)
        try:
            size = int(size_line.split(b";", 1)[0], 16)
        except ValueError:
            raise http.client.IncompleteRead(b"".join(parts)) from None
        if size == 0:
            break
        chunk = reader.read(size)
        if len(chunk) < size:
            raise http.client.IncompleteRead(b"".join(parts) + chunk, size - len(chunk))
        parts.append(chunk)
        reader.readline()  # the CRLF after the chunk
    _read_head(reader)  # trailers, to the blank line
    return b"".join(parts)


def _content_type_of(headers: dict[str, str]) -> str:
    for name, value in headers.items():
        if name.lower() == "content-type":
            return value
    return ""


def _shown(values: dict | None) -> dict:
    """Params as slack_sdk's debug line shows them (bytes hidden)."""
    if not values or not isinstance(values, dict):
        return {}
    return {k: "(bytes)" if isinstance(v, bytes) else v for k, v in values.items()}


def _content_type(value: str) -> tuple[str, str]:
    """(media type, charset) of a Content-Type header; charset utf-8 unless named."""
    media, *params = value.split(";")
    charset = "utf-8"
    for param in params:
        name, _, val = param.strip().partition("=")
        if name.lower() == "charset" and val.strip('"'):
            charset = val.strip('"')
    return media.strip().lower(), charset


def _closed_by_peer(sock) -> bool:
    """An idle connection with something to read has been closed (or is broken): a
    server sends nothing unasked on a connection waiting for its next request."""
    try:
        readable, _, _ = select.select([sock], [], [], 0)
    except (OSError, ValueError):
        return True
    return bool(readable)
