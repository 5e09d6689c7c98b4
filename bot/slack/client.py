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
import json
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
    * ``_perform_urllib_http_request_internal`` (send one prepared request): on this
      thread's kept-open connection, failing the way urllib fails."""

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
                data = json.loads(body)
            except json.JSONDecodeError:
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
        if args["json"]:  # as slack_sdk encodes them
            body = json.dumps(args["json"]).encode("utf-8")
            headers["Content-Type"] = "application/json;charset=utf-8"
        elif args["params"]:
            body = urlencode(args["params"]).encode("utf-8")
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            resp, raw = self._exchange(url, "POST", body, headers)
        except Exception as err:  # as slack_sdk's loop when no handler takes it
            self._logger.error(f"Failed to send a request to Slack API server: {err}")
            raise
        status, answer = resp.status, _headers(resp)
        media, charset = _content_type(_content_type_of(answer))
        if 200 <= status < 300:
            return {"status": status, "headers": answer,
                    "body": raw if media == "application/gzip" else raw.decode(charset)}
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
        resp, raw = self._exchange(url, req.get_method(), req.data, dict(req.header_items()))
        status = resp.status
        if not 200 <= status < 300:  # as urllib's HTTPErrorProcessor
            raise urllib.error.HTTPError(url, status, resp.reason, resp.headers,
                                         io.BytesIO(raw))
        headers = _headers(resp)
        media, charset = _content_type(_content_type_of(headers))
        if media == "application/gzip":
            return {"status": status, "headers": headers, "body": raw}
        return {"status": status, "headers": headers, "body": raw.decode(charset)}

    def _own_transport(self, url: str) -> bool:
        """Calls this client sends itself: http(s), no proxy (those are slack_sdk's)."""
        return self.proxy is None and url[:8].lower().startswith(("http://", "https://"))

    def _exchange(self, url: str, method: str, body: bytes | None,
                  headers: dict[str, str]) -> tuple[http.client.HTTPResponse, bytes]:
        """One request on this thread's connection to the URL's host, and its answer
        read in full. Fails as urllib does: ``URLError`` when the request could not be
        sent; while waiting for the answer, what http.client raises (the connection is
        closed then, so the next call opens a new one)."""
        parts = urlsplit(url)
        conn = self._connection(parts.scheme, parts.netloc)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        try:
            conn.request(method, path, body=body, headers=headers)
        except OSError as err:  # as urllib: a request that could not be sent
            conn.close()
            raise urllib.error.URLError(err) from err
        try:
            resp = conn.getresponse()
            return resp, resp.read()
        except BaseException:  # the answer is lost: the next call starts afresh
            conn.close()
            raise

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


def _headers(resp: http.client.HTTPResponse) -> dict[str, str]:
    """An answer's headers once, as the plain dict slack_sdk copies them into. The raw
    pairs: http.client decodes header bytes as Latin-1, so the email policy's fetch
    step (a pass per look-up, for values with undecodable bytes) has nothing to do."""
    return dict(resp.headers.raw_items())


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
