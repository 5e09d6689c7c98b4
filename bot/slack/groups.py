"""Sets the members of an on-call user group through Slack's `usergroups.users.update`
(scope `usergroups:write`), for bot/services/oncall_groups.py.

How Slack's answers map onto what the service does next:
- 429: `Busy` for its Retry-After (tried again then);
- any other `{"ok": false}` (`missing_scope`, `no_such_subteam`, ...): `PermanentError`
  with Slack's error code: the managers are told, and it is tried again later;
- a 5xx, a timeout, a reset or an unreachable Slack: `Unsure` / `NotSent`: tried again
  shortly (setting the whole list twice is harmless).
The client makes one attempt per call and never sleeps (`make_web_client(retries=False)`).
"""

from __future__ import annotations

import http.client
import urllib.error

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.services.outbox_items import Busy, NotSent, PermanentError, Unsure


class SlackGroupWriter:
    def __init__(self, client: WebClient):
        self.client = client

    def set_members(self, group_id: str, users: tuple[str, ...]) -> None:
        try:
            self.client.usergroups_users_update(usergroup=group_id, users=",".join(users))
        except SlackApiError as err:
            raise _translated(err) from err
        except (TimeoutError, ConnectionError, http.client.HTTPException) as err:
            raise Unsure(f"no answer from Slack ({type(err).__name__})") from err
        except urllib.error.URLError as err:
            raise NotSent(f"could not reach Slack: {err.reason}") from err


def _translated(err: SlackApiError) -> Exception:
    response = err.response
    status = getattr(response, "status_code", 200) if response is not None else 200
    code = (response.get("error", "") if response is not None else "") or ""
    if status == 429 or code == "ratelimited":
        headers = getattr(response, "headers", None) or {}
        retry_after = headers.get("Retry-After") or headers.get("retry-after") or 1
        try:
            return Busy(float(retry_after), f"Slack rate limit ({code or 429})")
        except ValueError:
            return Busy(1.0, f"Slack rate limit ({code or 429})")
    if status >= 500:
        return Unsure(f"Slack answered {status} ({code or 'server error'})")
    return PermanentError(code or f"http_{status}")
