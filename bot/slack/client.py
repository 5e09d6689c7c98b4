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
"""

from __future__ import annotations

import http.client
import io
import select
import threading
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlsplit

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.handler import RetryHandler

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
    """A ``WebClient`` whose calls reuse one open connection per thread and host.

    It replaces only the step of slack_sdk's urllib path that sends one prepared request
    and reads its answer (``_perform_urllib_http_request_internal``); building the
    request, the retry handlers and parsing the answer stay slack_sdk's. With a proxy it
    leaves everything to slack_sdk."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._local = threading.local()

    def _perform_urllib_http_request_internal(  # slack_sdk's transport step
        self, url: str, req: urllib.request.Request
    ) -> dict[str, Any]:
        parts = urlsplit(url)
        if self.proxy is not None or parts.scheme not in ("http", "https"):
            return super()._perform_urllib_http_request_internal(url, req)
        conn = self._connection(parts.scheme, parts.netloc)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        try:
            conn.request(req.get_method(), path, body=req.data,
                         headers=dict(req.header_items()))
        except OSError as err:  # as urllib: a request that could not be sent
            conn.close()
            raise urllib.error.URLError(err) from err
        try:
            resp = conn.getresponse()
            body = resp.read()
        except BaseException:  # the answer is lost: the next call starts afresh
            conn.close()
            raise
        if not 200 <= resp.status < 300:  # as urllib's HTTPErrorProcessor
            raise urllib.error.HTTPError(url, resp.status, resp.reason, resp.headers,
                                         io.BytesIO(body))
        # The headers once as a plain dict (slack_sdk copies them into one anyway; each
        # look-up in the parsed message costs a header policy pass).
        headers = dict(resp.headers.items())
        media, charset = _content_type(resp.getheader("Content-Type") or "")
        if media == "application/gzip":
            return {"status": resp.status, "headers": headers, "body": body}
        return {"status": resp.status, "headers": headers, "body": body.decode(charset)}

    def _connection(self, scheme: str, netloc: str) -> http.client.HTTPConnection:
        """This thread's connection to `netloc`, opened anew when the server closed it."""
        conns: dict[tuple[str, str], http.client.HTTPConnection] | None = getattr(
            self._local, "conns", None)
        if conns is None:
            conns = self._local.conns = {}
        conn = conns.get((scheme, netloc))
        if conn is None:
            timeout = self.timeout
            conn = (http.client.HTTPSConnection(netloc, timeout=timeout, context=self.ssl)
                    if scheme == "https" else http.client.HTTPConnection(netloc,
                                                                         timeout=timeout))
            conns[(scheme, netloc)] = conn
        elif conn.sock is not None and _closed_by_peer(conn.sock):
            conn.close()  # reopened by the next request
        return conn


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
