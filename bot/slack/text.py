"""Slack's escaped text (should_escape: true) -> the plain text people typed."""

from __future__ import annotations

import html
import re

from bot.core import refs

_TOKEN = re.compile(r"<([^<>]+)>")


def _plain(match: re.Match) -> str:
    inner = match.group(1)
    target, _, label = inner.partition("|")
    if target.startswith("@"):
        return f"@{label or target[1:]}"
    if target.startswith("#"):
        return f"#{label or target[1:]}"
    if target.startswith("!"):
        name = target[1:].split("^")[0]
        return f"@{label or name}"
    return f"{label} ({target})" if label and label != target else target


def to_plain(text: str) -> str:
    """Mentions become @name, channel links #name, links 'label (url)'; &amp; &lt; &gt;
    are decoded once. The renderers escape again when showing it."""
    return html.unescape(_TOKEN.sub(_plain, text or ""))


def first_link(text: str) -> str | None:
    for m in _TOKEN.finditer(text or ""):
        target = m.group(1).partition("|")[0]
        if target.startswith(("http://", "https://")):
            return html.unescape(target)  # stored decoded, like the text
    return None


_SLACK_REFS: refs.Renderers = {
    "@": lambda v: f"<@{v}>",
    "#": lambda v: f"<#{v}>",
    "!": lambda v: f"<!subteam^{v}>",
    "/": lambda v: f"`/{v}`",
    # Slack shows a date token in the reader's own zone; the fallback is UTC.
    "^": lambda v: f"<!date^{v}^{{date_short_pretty}} {{time}}|{refs.utc_text(v)}>",
    # What a person typed shows as written: Slack's three control characters escaped,
    # so a typed "<@U123>", "<!channel>" or "<https://x|y>" is text, not markup.
    refs.TYPED: lambda v: v.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"),
}


def from_neutral(text: str) -> str:
    """A service's text (bot/core/refs.py references) as Slack mrkdwn: people as <@U..>
    mentions, channels as <#C..> links, groups as <!subteam^S..>, commands as `/cmd`,
    instants as date tokens; typed spans (`refs.typed`) as escaped, inert text.
    Apply it only to text the bot wrote, never to what a person typed."""
    return refs.render(text, _SLACK_REFS)


# Every message the bot posts (chat.postMessage, a response_url answer, an ephemeral
# reply) goes out with these: a link in a request never unfurls a preview of what it
# points at (graphic content, issue 13).
NO_UNFURL = {"unfurl_links": False, "unfurl_media": False}
