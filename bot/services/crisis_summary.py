"""The summary of a crisis at its end (PRODUCT.md "Crisis mode"), in the numbers
reports use: the same functions as `/oncall report` and `oncall-bot report`
(`bot.services.report_groups.group_numbers` and `person_rows`, whose arithmetic is
`bot.core.report_numbers`: p50 and p95 by linear interpolation, hour buckets on each
person's own clock), applied to the requests linked to the crisis instead of the
requests filed in a period.

The summary (a JSON document kept on the crisis row, `crises.summary`):
- `from`, `to`: the crisis's start and end (ISO, UTC);
- `requests`, `acknowledged`, `resolved`; `by_language`, `by_category`, `by_status`:
  counts of linked requests;
- `ack_p50`, `ack_p95`, `resolve_p50`, `resolve_p95`: seconds from filing to
  acknowledged and to resolved (None when none);
- `escalated`, `escalated_rate`, `fallback`, `fallback_rate`, `pages`, `declines`,
  `decline_rate`: as in reports;
- `per_person`: requests taken per person (Slack ID -> count);
- `people`: per person paged for a linked request, who took one or was exposed by one:
  `user`, `name`, `requests` (taken), `pages`, `business_pages`, `evening_pages`,
  `sleep_pages`, `declines`, `exposure_points` (counted for the linked requests);
- `languages`: one report row per language (`GroupRow.as_dict()`), what the chart draws.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime

from sqlalchemy.orm import Session

from bot.core import escalation_words, refs
from bot.core.roster import Roster
from bot.services.report_groups import GroupRow, group_numbers, person_rows, zone_lookup
from bot.store import reports as report_store
from bot.store.paging_tables import PageRow

__all__ = ["crisis_summary", "summary_text"]

_PERSON_FIELDS = ("requests", "pages", "business_pages", "evening_pages", "sleep_pages",
                  "declines", "exposure_points")


def _iso(instant: datetime) -> str:
    return instant.strftime("%Y-%m-%dT%H:%M:%SZ")


def crisis_summary(session: Session, roster: Roster, crisis_id: int, start: datetime,
                   end: datetime) -> dict:
    """The summary of crisis `crisis_id` (see the module notes), read in `session`."""
    reqs = report_store.requests_linked(session, crisis_id)
    ids = [r.id for r in reqs]
    pages = report_store.pages_of_requests(session, ids)
    points = report_store.exposure_of_requests(session, ids)
    pages_of: dict[int, list[PageRow]] = defaultdict(list)
    for p in pages:
        pages_of[p.request_id].append(p)
    overall = group_numbers("all", reqs, pages_of, pages)
    by_lang: dict[str, list] = defaultdict(list)
    for r in reqs:
        by_lang[r.language].append(r)
    languages = [GroupRow(**group_numbers(k, rs, pages_of,
                                          [p for r in rs for p in pages_of[r.id]])).as_dict()
                 for k, rs in sorted(by_lang.items(), key=lambda kv: (-len(kv[1]), kv[0]))]
    people = [{"user": row.key, "name": row.name,
               **{f: getattr(row, f) for f in _PERSON_FIELDS}}
              for row in person_rows(roster, reqs, pages_of, pages, points, start, end,
                                     zone_lookup(roster))
              if row.pages or row.requests or row.exposure_points]
    return {
        "from": _iso(start), "to": _iso(end),
        "requests": len(reqs),
        "by_language": dict(sorted(Counter(r.language for r in reqs).items())),
        "by_category": dict(sorted(Counter(r.category for r in reqs).items())),
        "by_status": dict(sorted(Counter(r.status for r in reqs).items())),
        "acknowledged": overall["acknowledged"], "resolved": overall["resolved"],
        "ack_p50": overall["ack_p50_s"], "ack_p95": overall["ack_p95_s"],
        "resolve_p50": overall["resolve_p50_s"], "resolve_p95": overall["resolve_p95_s"],
        **{k: overall[k] for k in ("escalated", "escalated_rate", "fallback", "fallback_rate",
                                   "pages", "declines", "decline_rate")},
        "per_person": dict(sorted(Counter(r.assignee for r in reqs if r.assignee).items())),
        "people": people,
        "languages": languages,
    }


def _minutes(seconds: float | None) -> str:
    return "none yet" if seconds is None else f"{seconds / 60:.0f} min"


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.0f}%"


def _person(p: dict) -> str:
    exposure = f", exposure {p['exposure_points']}" if p["exposure_points"] else ""
    return (f"{refs.person(p['user'])} {p['pages']} page(s) ({p['business_pages']} business "
            f"hours, {p['evening_pages']} evening, {p['sleep_pages']} sleep), "
            f"{p['requests']} taken{exposure}")


def summary_text(s: dict) -> str:
    """The summary in words (service text: people and times are references)."""
    langs = ", ".join(f"{escalation_words.language(k)} {v}" for k, v in s["by_language"].items())
    cats = ", ".join(f"{k} {v}" for k, v in s["by_category"].items())
    lines = [f"{s['requests']} requests" + (f" ({langs}; {cats})" if s["requests"] else "")
             + f". Time to acknowledge: p50 {_minutes(s['ack_p50'])}, p95 "
             f"{_minutes(s['ack_p95'])}. Time to resolve: p50 {_minutes(s['resolve_p50'])}, "
             f"p95 {_minutes(s['resolve_p95'])}."]
    if s["requests"]:
        lines.append(f"Escalated past the first step: {_pct(s['escalated_rate'])}; answered "
                     f"by a backup language or with translation: {_pct(s['fallback_rate'])}; "
                     f"pages declined: {_pct(s['decline_rate'])} of {s['pages']}.")
    people = s.get("people") or []
    lines.append("Pages per person (on their own clock): "
                 + ("; ".join(_person(p) for p in people) if people else "none") + ".")
    return "\n".join(lines)
