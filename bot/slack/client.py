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
"""

from __future__ import annotations

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.handler import RetryHandler

__all__ = ["make_web_client", "retry_handlers"]


def retry_handlers() -> list[RetryHandler]:
    """Fresh retry handlers: connection errors x2, HTTP 429 x3, HTTP 500/503 x3."""
    return [
        ConnectionErrorRetryHandler(max_retry_count=2),
        RateLimitErrorRetryHandler(max_retry_count=3),
        ServerErrorRetryHandler(max_retry_count=3),
    ]


def make_web_client(
    token: str | None, base_url: str | None = None, timeout: float = 10
) -> WebClient:
    """A ``WebClient`` for ``token`` with the bot's retry policy (see module docstring).

    ``base_url`` None means Slack's own API; otherwise it gets a trailing slash
    (e.g. a stand-in's ``.url`` or a GovSlack base URL). ``timeout`` is seconds to
    wait for each attempt's answer.
    """
    url = base_url or WebClient.BASE_URL
    if not url.endswith("/"):
        url += "/"
    return WebClient(
        token=token,
        base_url=url,
        timeout=timeout,  # type: ignore[arg-type]  # slack_sdk annotates int; floats work
        retry_handlers=retry_handlers(),
    )
