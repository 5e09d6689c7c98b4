"""Delivers outbox rows through the Slack Web API, rendering from current state.

Every post carries the ids of its outbox rows as message metadata, and a digest card
(bot.core.surge) the ids of every card row it lists, on each update too. A delivery
marked `unsure` (an earlier attempt may have reached Slack) is first looked up in the
conversation by that metadata; a message found is reported as sent (`Found`: a card row
found in a digest says so), not posted again.

How Slack's answers map onto what the outbox does next:
- 429: `Busy` for its Retry-After: nothing was posted, the lane waits.
- an error no retry can fix (`PERMANENT`): `PermanentError`.
- any other `{"ok": false}`: `NotSent`: nothing was posted; retried later.
- a 5xx, a timeout or a reset connection: `Unsure`; retried, looked up first.
The client this sender uses makes one attempt per call and never sleeps (see
`bot.slack.client.make_web_client(retries=False)`).
"""

from __future__ import annotations

import http.client
import urllib.error
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.web import SlackResponse

from bot.core.messages import (
    ACK_REMIND,
    CARD,
    CARD_UPDATE,
    CHANNEL_ALERT,
    DIGEST,
    DIRECT,
    MANAGER_ALERT,
    PAGE,
    PAGE_AGAIN,
    PAGE_UPDATE,
    REQUESTER_NOTE,
    RESTATE,
    TIMELINE,
    VERIFY_ASK,
    TimelineEntry,
)
from bot.services.outbox_items import Busy, Delivery, Found, NotSent, PermanentError, Unsure
from bot.slack import render
from bot.slack.render import digest as digest_render
from bot.slack.render import pages as page_render
from bot.slack.render import verify as verify_render
from bot.slack.shared_reads import SharedReads
from bot.slack.text import NO_UNFURL

# Errors that no retry can fix: the message is dropped and the failure recorded.
PERMANENT = {
    "channel_not_found", "not_in_channel", "is_archived", "invalid_blocks", "msg_too_long",
    "user_not_found", "cannot_dm_bot", "account_inactive", "no_text", "invalid_arguments",
    "message_not_found", "cant_update_message", "edit_window_closed", "restricted_action",
}
EVENT_TYPE = "oncall_outbox"  # the metadata event type of every message the outbox posts
LOOKBACK = timedelta(minutes=10)  # how far before a row's creation a look-up reads back
THREAD_CHUNK = 40  # thread lines a post (Block Kit allows 50 blocks a message)


class SlackSender:
    def __init__(self, client: WebClient, manager_group: Callable[[str], str | None],
                 reader_zone: Callable[[str, str], str | None] | None = None,
                 now: Callable[[], datetime] | None = None):
        """`reader_zone(team, user)`: the zone a page's reader keeps in the roster (the
        page's times are shown in it), or None. `now`: the clock a message's response
        target is counted down from ("due in 24 min") when it is rendered."""
        self.client = client
        self._reads = SharedReads()  # look-ups of one conversation share a read
        self._now = now or (lambda: datetime.now(UTC))
        self._manager_group = manager_group
        self._reader_zone = reader_zone or (lambda team, user: None)

    def _page(self, d: Delivery) -> tuple[str, list]:
        return render.page_message(d.page, self._zone(d), self._now())

    def _zone(self, d: Delivery) -> str | None:
        if d.page is None:
            return None
        try:
            return self._reader_zone(d.page.request.team, d.page.user)
        except Exception:  # noqa: BLE001 - a zone we cannot find: Slack's own still shows
            return None

    def lane(self, d: Delivery) -> str:
        """Slack's rate limits are per method (and per channel for posts)."""
        if d.kind == PAGE_UPDATE:
            return f"chat.update:{d.page_message[0] if d.page_message else d.target}"
        if d.kind == CARD_UPDATE or (d.kind == DIGEST and d.card):
            return f"chat.update:{d.card[0] if d.card else d.target}"
        if d.kind == RESTATE:
            return f"chat.update:{d.target}"
        if d.kind == TIMELINE:
            return f"chat.postMessage:{d.card[0] if d.card else d.target}"
        return f"chat.postMessage:{d.target}"

    def send(self, d: Delivery) -> tuple[str, str] | Found | None:
        try:
            if d.unsure and d.kind not in (PAGE_UPDATE, PAGE_AGAIN, CARD_UPDATE, TIMELINE,
                                           RESTATE, ACK_REMIND):
                found = self._look_up(d.target, None, d)
                if found is not None:
                    return found
            return self._send(d)
        except SlackApiError as err:
            raise _translated(err) from err
        except (TimeoutError, ConnectionError, http.client.HTTPException) as err:
            raise Unsure(f"no answer from Slack ({type(err).__name__})") from err
        except urllib.error.URLError as err:  # could not be sent: nothing reached Slack
            raise NotSent(f"could not reach Slack: {err.reason}") from err

    # -- posting -------------------------------------------------------------------------

    def _post(self, channel: str, text: str, blocks: list | None, ids,
              thread_ts: str | None = None, digest: bool = False, **extra
              ) -> tuple[str, str]:
        r = self._call(
            "chat.postMessage", channel=channel, text=text, blocks=blocks,
            thread_ts=thread_ts, **NO_UNFURL, **extra, metadata=_metadata(ids, digest))
        return r["channel"], r["ts"]

    def _update(self, channel: str, ts: str, text: str, blocks: list | None,
                metadata: dict | None = None) -> None:
        """Edit a message in place; without `metadata`, Slack keeps what it had."""
        self._call("chat.update", channel=channel, ts=ts, text=text, blocks=blocks,
                   metadata=metadata)

    def _call(self, method: str, **fields) -> SlackResponse:
        """`method` with `fields` (None ones left out) as its JSON body, through
        `WebClient.api_call`, which is where `chat_postMessage` and `chat_update` end
        up too (same URL, token, headers, errors). Those typed methods first copy every
        argument into a dict of some 18 fields and test each block against six
        Block Kit model classes, to turn model objects into dicts: ours are dicts and
        strings already, and always carry `text`."""
        return self.client.api_call(
            method, json={k: v for k, v in fields.items() if v is not None})

    def _send(self, d: Delivery) -> tuple[str, str] | None:
        if d.kind == PAGE:
            text, blocks = self._page(d)
            return self._post(d.target, text, blocks, d.ids)
        if d.kind == PAGE_AGAIN:
            return self._page_again(d)
        if d.kind == ACK_REMIND:
            return self._ack_remind(d)
        if d.kind == PAGE_UPDATE:
            if d.page_message is None:
                return None  # the page itself never went out; nothing to update
            text, blocks = self._page(d)
            self._update(d.page_message[0], d.page_message[1], text, blocks)
            return None
        if d.kind == CARD:
            text, blocks = render.ticket_card(d.request, self._now())
            return self._post(d.target, text, blocks, d.ids)
        if d.kind == DIGEST:  # posted, or updated in place to list more requests
            text, blocks = digest_render.digest_card(d.digest, self._now())
            if d.card is None:
                return self._post(d.target, text, blocks, d.ids, digest=True)
            # Every card row it lists, the earlier ones too: a listed request's card row
            # that a dead process left unsure is found here, not posted again.
            rows = (*d.payload.get("listed_rows", ()), *d.ids)
            self._update(d.card[0], d.card[1], text, blocks, _metadata(rows, digest=True))
            return d.card
        if d.kind == CARD_UPDATE:
            if d.card is None:
                return None
            text, blocks = (digest_render.digest_card(d.digest, self._now()) if d.digest else
                            render.ticket_card(d.request, self._now()))
            self._update(d.card[0], d.card[1], text, blocks)
            return None
        if d.kind == TIMELINE:
            return self._thread_lines(d)
        if d.kind == RESTATE:
            self._restate(d)
            return None
        text, blocks = self._rendered(d.kind, d)
        return self._post(d.target, text, blocks, d.ids)

    def _rendered(self, kind: str, d: Delivery) -> tuple[str, list]:
        """A request's message of `kind` (not a card, page or thread post) as it reads
        now: what is posted, and what an edit in place (RESTATE) turns it into."""
        if kind == REQUESTER_NOTE:
            return render.requester_note(d.request, d.payload.get("note", "filed"),
                                         d.card[0] if d.card else None)
        if kind == MANAGER_ALERT:
            return render.manager_alert(d.request, self._now())
        if kind == CHANNEL_ALERT:
            return render.channel_alert(d.request, self._manager_group(d.request.team),
                                        self._now())
        if kind == DIRECT:
            return render.direct_message(d.payload)
        if kind == VERIFY_ASK:
            return verify_render.verify_ask(d.request, d.payload.get("asked_by"))
        if kind == PAGE_AGAIN and d.page is not None:
            return page_render.ping(d.page, self._zone(d))
        raise PermanentError(f"unknown outbox kind {kind!r}")

    def _restate(self, d: Delivery) -> None:
        """Edit a posted message in place to how it reads now (redacted, or purged)."""
        kind, ts = d.payload.get("kind"), d.payload.get("ts")
        if not d.target or not ts or d.request is None:
            return  # nothing to edit
        if kind == TIMELINE:
            text, blocks = self._lines(d.payload.get("lines") or [])
        else:
            text, blocks = self._rendered(kind, d)
        self._update(d.target, ts, text, blocks)

    def _page_again(self, d: Delivery) -> tuple[str, str] | None:
        """Someone paged again for a request whose page DM they have: that DM shows the
        new page (its deadline, its buttons), and a short ping in its thread, also
        shown in the conversation, notifies them. The update is idempotent; the ping is
        looked up first when an earlier attempt may have posted it. Returns where the
        ping went."""
        if d.page_message is None:
            raise PermanentError("message_not_found")  # nothing to update in place
        channel, ts = d.page_message
        zone = self._zone(d)
        text, blocks = render.page_message(d.page, zone, self._now())
        self._update(channel, ts, text, blocks)
        if d.unsure:
            found = self._look_up(None, d.page_message, d)
            if found is not None:
                return found.at
        text, blocks = page_render.ping(d.page, zone)
        return self._post(channel, text, blocks, d.ids, thread_ts=ts, reply_broadcast=True)

    def _ack_remind(self, d: Delivery) -> tuple[str, str] | None:
        """The reminder of an acknowledged, unresolved request: in the thread of the
        assignee's page DM, shown in the conversation too so it notifies; a DM of its
        own when they have no page DM. Looked up first when an earlier attempt may have
        posted it."""
        if d.unsure:
            found = self._look_up(d.target if d.page_message is None else None,
                                  d.page_message, d)
            if found is not None:
                return found.at
        text, blocks = page_render.ack_reminder(d.payload)
        if d.page_message is None:
            return self._post(d.target, text, blocks, d.ids)
        channel, ts = d.page_message
        return self._post(channel, text, blocks, d.ids, thread_ts=ts, reply_broadcast=True)

    def _thread_lines(self, d: Delivery) -> tuple[str, str] | None:
        """Lines that came due together go out as one thread post (one Slack call); an
        unsure delivery skips the lines whose rows are in the thread already. Returns
        where the post went when all the lines went out in one post (so it can be
        edited later), else None."""
        if d.card is None:
            # No card to thread under: not yet in Slack (it waits for a digest pass, or
            # another process is posting it), or failed for good. Tried again later, not
            # marked sent unposted: lines lost this way were the chaos bench's "thread
            # lines missing". A card that failed for good fails them after their tries.
            raise NotSent("its ticket card is not in Slack yet; the lines wait for it")
        lines = d.payload.get("lines") or [d.payload]
        ids = list(d.ids) or [0] * len(lines)
        there = self._rows_in_thread(d) if d.unsure else set()
        todo = [(i, p) for i, p in zip(ids, lines, strict=False) if i not in there]
        posted = None
        for start in range(0, len(todo), THREAD_CHUNK):
            chunk = todo[start:start + THREAD_CHUNK]
            text, blocks = self._lines([p for _, p in chunk])
            posted = self._post(d.card[0], text, blocks, [i for i, _ in chunk],
                                thread_ts=d.card[1])
        return posted if len(todo) == len(lines) <= THREAD_CHUNK else None

    @staticmethod
    def _lines(lines: list[dict]) -> tuple[str, list]:
        """Thread lines (the service's neutral text, rendered by render.timeline_line)
        as one post."""
        texts, blocks = [], []
        for p in lines:
            entry = TimelineEntry(datetime.fromisoformat(p["at"]), p["actor"],
                                  p["action"], p["text"])
            text, line_blocks = render.timeline_line(entry, p.get("ticket"))
            texts.append(text)
            blocks.extend(line_blocks)
        return "\n".join(texts), blocks

    # -- looking a message up ------------------------------------------------------------

    def _look_up(self, target: str | None, thread: tuple[str, str] | None, d: Delivery
                 ) -> Found | None:
        """The message posted for any of `d.ids` in `target` (or in `thread`), if any."""
        wanted = {str(i) for i in d.ids}
        for message, channel in self._recent(target, thread, d):
            if wanted & _rows_of(message):
                return Found((channel, message["ts"]), digest=_is_digest(message))
        return None

    def _rows_in_thread(self, d: Delivery) -> set[int]:
        found: set[int] = set()
        for message, _ in self._recent(None, d.card, d):
            found.update(int(r) for r in _rows_of(message) if r.isdigit())
        return found

    def _recent(self, target: str | None, thread: tuple[str, str] | None, d: Delivery
                ) -> list[tuple[dict, str]]:
        """Messages in the conversation since shortly before the rows were written (one
        read shared by the look-ups that ask for it together: `shared_reads`)."""
        oldest = ((d.since or datetime.now(UTC)) - LOOKBACK).timestamp()
        if thread is not None:
            channel = thread[0]
            call = partial(self.client.conversations_replies, channel=channel, ts=thread[1])
        else:
            channel = self._conversation(target)
            call = partial(self.client.conversations_history, channel=channel)
        messages = self._reads.messages((channel, thread[1] if thread else None), oldest,
                                        partial(_read_back, call))
        return [(m, channel) for m in messages]

    def _conversation(self, target: str | None) -> str:
        """A channel id as is; a user id becomes the bot's DM channel with them."""
        if target and target[:1] in ("U", "W"):
            return self.client.conversations_open(users=target)["channel"]["id"]
        return target or ""


def _read_back(call, oldest: float) -> list[dict]:
    """Every message `call` (conversations.history or .replies) gives since `oldest`."""
    messages: list[dict] = []
    cursor = None
    for _ in range(10):  # at most 2,000 messages back
        answer = call(oldest=f"{oldest:.6f}", include_all_metadata=True, limit=200,
                      cursor=cursor)
        messages.extend(answer.get("messages") or [])
        cursor = (answer.get("response_metadata") or {}).get("next_cursor")
        if not cursor:
            break
    return messages


def _metadata(ids, digest: bool = False) -> dict:
    """The metadata of a message the outbox sends: its rows' ids, comma-separated, and
    whether it is a digest card. A digest lists at most surge.DIGEST_MAX (20) card rows:
    a payload of a few hundred bytes, half of what a thread post of THREAD_CHUNK lines
    carries already."""
    payload: dict = {"rows": ",".join(str(i) for i in ids)}
    if digest:
        payload["digest"] = True
    return {"event_type": EVENT_TYPE, "event_payload": payload}


def _rows_of(message: dict) -> set[str]:
    meta = message.get("metadata") or {}
    if meta.get("event_type") != EVENT_TYPE:
        return set()
    return {r for r in str((meta.get("event_payload") or {}).get("rows", "")).split(",") if r}


def _is_digest(message: dict) -> bool:
    """Is this message of ours a digest card (it lists several requests' card rows)?"""
    meta = message.get("metadata") or {}
    return (meta.get("event_type") == EVENT_TYPE
            and (meta.get("event_payload") or {}).get("digest") is True)


def slack_error(err: SlackApiError) -> tuple[int, str, Exception | None]:
    """Slack's error answer: (HTTP status, error code, and the failure to retry by when
    it is Slack's rate limit (Busy, after its Retry-After) or an outage (Unsure, a 5xx),
    else None). Every sender of ours reads Slack's errors this one way."""
    response = err.response
    status = getattr(response, "status_code", 200) if response is not None else 200
    code = (response.get("error", "") if response is not None else "") or ""
    if status == 429 or code == "ratelimited":
        headers = getattr(response, "headers", None) or {}
        retry_after = headers.get("Retry-After") or headers.get("retry-after") or 1
        try:
            return status, code, Busy(float(retry_after), f"Slack rate limit ({code or 429})")
        except ValueError:
            return status, code, Busy(1.0, f"Slack rate limit ({code or 429})")
    if status >= 500:
        return status, code, Unsure(f"Slack answered {status} ({code or 'server error'})")
    return status, code, None


def _translated(err: SlackApiError) -> Exception:
    """Slack's error answer as the outbox's kind of failure."""
    status, code, transient = slack_error(err)
    if transient is not None:
        return transient
    if code in PERMANENT:
        return PermanentError(code)
    return NotSent(f"Slack refused it: {code or status}")
