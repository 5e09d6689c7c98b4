"""The load routing weighs, read from the pages and requests: recent pages and the
last page per person, the open load, exposure points and breaks (`bot.services.load`
asks; the escalation of a request and `/oncall who` both read it there)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import bindparam, case, func, literal_column, null, select, union_all
from sqlalchemy.orm import Session

from bot.store.bulk import PerDialect, in_list
from bot.store.paging import PAGES, REQUESTS, utc_from_db
from bot.store.wellbeing_tables import ExposureRow, PauseRow

# Pages within a window, per person: how many since `recent`, and the latest. One scan
# of the pages sent since `since` (the (user, sent_utc) index bounds it).
_PAGE_HISTORY = (select(PAGES.c.user,
                        func.count(case((PAGES.c.sent_utc >= bindparam("recent"), 1))),
                        func.max(PAGES.c.sent_utc))
                 .where(PAGES.c.sent_utc >= bindparam("since")).group_by(PAGES.c.user))


def page_history(session: Session, since: datetime, recent: datetime
                 ) -> tuple[dict[str, int], dict[str, datetime]]:
    """(pages sent since `recent` per person, the last page sent since `since` per
    person): routing's "fewest recent pages" and "longest since the last page". Someone
    not paged since `since` is absent from both (counted as never paged)."""
    counts: dict[str, int] = {}
    last: dict[str, datetime] = {}
    for user, n, at in session.connection().execute(_PAGE_HISTORY,
                                                    {"since": since, "recent": recent}):
        if n:
            counts[user] = n
        last[user] = utc_from_db(at)
    return counts, last


# A person's open load: pages waiting for their answer on open requests, and requests
# they acknowledged and have not resolved, each request once. A pending page is always
# one of an open request: every change that takes a request out of "open" (acknowledged,
# resolved) closes its pending pages in the same transaction, under the request's row
# lock, and a page is only added to an open request (`PageRow.state`). So the pending
# pages alone say it, with no join to the requests: read through their partial index
# (`ix_pages_pending_user`, which holds only the pages still waiting), and the
# acknowledged requests through theirs (`ix_requests_acknowledged_assignee`). The
# join made every routing visit each open request's row: with a thousand open, about
# 2 ms of the database's CPU, inside the team's routing turn (docs/design.md).
def _load_rows(postgres: bool, of_users: bool):
    """(user, request_id) of the open load; of the people in the list `users` only
    when `of_users`."""
    pages = [PAGES.c.state == "pending"]
    mine = [REQUESTS.c.status == "acknowledged", REQUESTS.c.assignee.is_not(None)]
    if of_users:
        pages.append(in_list(PAGES.c.user, "users", postgres))
        mine.append(in_list(REQUESTS.c.assignee, "users", postgres))
    return union_all(
        select(PAGES.c.user.label("user"), PAGES.c.request_id.label("request_id"))
        .where(*pages),
        select(REQUESTS.c.assignee, REQUESTS.c.id).where(*mine),
    ).subquery()


def _open_load(postgres: bool, of_users: bool):
    rows = _load_rows(postgres, of_users)
    return (select(literal_column("'o'").label("kind"), rows.c.user.label("user"),
                   func.count(rows.c.request_id.distinct()).label("n"))
            .group_by(rows.c.user))


_OPEN_LOAD = _open_load(False, of_users=False)


def open_load(session: Session) -> dict[str, int]:
    """How many requests each person has open: waiting for their answer, or theirs
    (acknowledged, not resolved). A request counts once per person."""
    return {user: int(n) for _, user, n in session.connection().execute(_OPEN_LOAD)}


# The exposure points since a window's start and who is on a break: routing reads them
# with the open load (below), in one statement (one round trip on the request's path).
_EXPOSURE, _PAUSES = ExposureRow.__table__, PauseRow.__table__
_CARE = (
    select(literal_column("'x'"), _EXPOSURE.c.user, func.sum(_EXPOSURE.c.weight))
    .where(_EXPOSURE.c.team == bindparam("team"), _EXPOSURE.c.at_utc >= bindparam("since"))
    .group_by(_EXPOSURE.c.user),
    select(literal_column("'p'"), _PAUSES.c.user, literal_column("0"))
    .where(_PAUSES.c.team == bindparam("team"), _PAUSES.c.start_utc <= bindparam("now"),
           _PAUSES.c.end_utc > bindparam("now"), _PAUSES.c.ended_utc.is_(None)),
)


def _care_row(kind: str, user: str, n, opened: dict, points: dict, paused: set) -> None:
    if kind == "o":
        opened[user] = int(n)
    elif kind == "x":
        points[user] = int(n or 0)
    else:
        paused.add(user)


# `page_history`, the open load, the exposure points and the breaks in one statement:
# what routing a request reads while it holds the team's routing turn, so one round trip
# fewer under the lock. The history's rows come first ('h': pages since `recent`, the
# last page since `history`), so that their time column gives the union its type.
# The history and the open load are read for the people routing may weigh only
# (`users`): the history through the pages' (user, sent_utc) index, a short range per
# person, where all pages since `history` would be every page of the week, however
# many people they went to. The people are one array on PostgreSQL (`bulk.in_list`): a
# long IN list made psycopg parse the statement again on every run.
_HISTORY_LOAD_AND_CARE = PerDialect(lambda postgres: union_all(
    select(literal_column("'h'").label("kind"), PAGES.c.user.label("user"),
           func.count(case((PAGES.c.sent_utc >= bindparam("recent"), 1))).label("n"),
           func.max(PAGES.c.sent_utc).label("at"))
    .where(in_list(PAGES.c.user, "users", postgres),
           PAGES.c.sent_utc >= bindparam("history")).group_by(PAGES.c.user),
    *(s.add_columns(null()) for s in (_open_load(postgres, of_users=True), *_CARE)),
))


def history_load_and_care(session: Session, team: str, history: datetime,
                          recent: datetime, since: datetime, now: datetime,
                          users: Collection[str]):
    """In one statement: `page_history(history, recent)` and `open_load()` of `users`,
    each person's exposure points counted at or after `since` in `team`, and who in
    `team` is on a break at `now`: (recent page counts, last pages, open load, exposure
    points, paused)."""
    counts: dict[str, int] = {}
    last: dict[str, datetime] = {}
    opened: dict[str, int] = {}
    points: dict[str, int] = {}
    paused: set[str] = set()
    conn = session.connection()
    for kind, user, n, at in conn.execute(
            _HISTORY_LOAD_AND_CARE.on(conn),
            {"team": team, "since": since, "now": now, "history": history,
             "recent": recent, "users": sorted(users)}):
        if kind != "h":
            _care_row(kind, user, n, opened, points, paused)
            continue
        if n:
            counts[user] = int(n)
        last[user] = utc_from_db(at)
    return counts, last, opened, points, frozenset(paused)
