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

from bot.services.outbox_items import NotSent, PermanentError, Unsure
from bot.slack.sender import slack_error


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
    """A group update Slack refused: retried after a rate limit or an outage; anything
    else (missing scope, no such group, refused users) is the managers' to fix."""
    status, code, transient = slack_error(err)
    return transient or PermanentError(code or f"http_{status}")
