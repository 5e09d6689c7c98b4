"""A trend digest (bot/services/trends.py `Digest.to_json()`) as Block Kit: the scheduled
post in the team's trends channel and the private answer to `/oncall trends`. Words come
from requests people typed, so they are escaped, never read as markup."""

from __future__ import annotations

from typing import Any

from bot.slack.render import blocks as kit
from bot.slack.render import mrkdwn as md


def _hours(n: int) -> str:
    return "hour" if n == 1 else f"{n} hours"


def _requests(n: int) -> str:
    return f"{n} request{'s' if n != 1 else ''}"


def _group(t: dict[str, Any]) -> str:
    return " · ".join(md.escape(t[k]) for k in ("category", "language", "region"))


def line(t: dict[str, Any], hours: int) -> str:
    """'Rising: Child safety · Arabic · Europe: 9 requests in the last 6 hours (usual:
    1.3 for these hours); words: "bridge attack" (5), video (3)'."""
    head = "*Rising:* " if t["rising"] else ""
    out = (f"{head}{_group(t)}: {_requests(t['count'])} in the last {_hours(hours)} "
           f"(usual: {t['expected']:.1f} for these hours)")
    said = [f"{md.escape(w)} ({n})" if " " not in w else f"\u201c{md.escape(w)}\u201d ({n})"
            for w, n in t.get("words") or ()]
    if said:
        out += "; words: " + ", ".join(said)
    elif t["rising"]:
        out += "; no repeated words (or only sensitive requests)"
    return out


def digest_blocks(doc: dict[str, Any]) -> tuple[str, kit.Blocks]:
    hours, team = doc["hours"], doc["team"]
    rising, busiest = doc.get("rising") or [], doc.get("busiest") or []
    if rising:
        text = (f"Trends for {team}: {len(rising)} rising in the last {_hours(hours)} "
                f"({_requests(doc['total'])} in all)")
    else:
        text = (f"Trends for {team}: nothing unusual in the last {_hours(hours)} "
                f"({_requests(doc['total'])} in all)")
    blocks: kit.Blocks = [kit.header(f"Trends: the last {_hours(hours)}"),
                          kit.section(md.escape(text))]
    for t in rising[:40]:
        blocks.append(kit.section(line(t, hours)))
    if busiest and not rising:
        blocks.append(kit.section("Busiest:\n" + "\n".join(f"• {line(t, hours)}"
                                                           for t in busiest)))
    blocks.append(kit.context(
        "Compared with the same hours of each of the last 7 days. Rising means a count "
        "that chance alone would give less than 1% of the time, and at least 3 more than "
        "usual. Region: where the person handling the request is. Words of sensitive "
        "requests are never shown."))
    return text, kit.cap(blocks)
