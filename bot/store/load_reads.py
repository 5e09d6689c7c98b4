"""The load routing weighs, read from the pages and requests: recent pages and the
last page per person, the open load, exposure points and breaks (`bot.services.load`
asks; the escalation of a request and `/oncall who` both read it there)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import bindparam, case, func, literal_column, null, select, union, union_all
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
# they acknowledged and have not resolved. Both halves start from the requests' status
# index (few requests are open), so the cost follows the open requests, not history.
_LOAD_ROWS = union(
    select(PAGES.c.user.label("user"), PAGES.c.request_id.label("request_id"))
    .join(REQUESTS, REQUESTS.c.id == PAGES.c.request_id)
    .where(REQUESTS.c.status == "open", PAGES.c.state == "pending"),
    select(REQUESTS.c.assignee.label("user"), REQUESTS.c.id.label("request_id"))
    .where(REQUESTS.c.status == "acknowledged", REQUESTS.c.assignee.is_not(None)),
).subquery()
_OPEN_LOAD = (select(_LOAD_ROWS.c.user, func.count()).group_by(_LOAD_ROWS.c.user))


def open_load(session: Session) -> dict[str, int]:
    """How many requests each person has open: waiting for their answer, or theirs
    (acknowledged, not resolved). A request counts once per person."""
    return {user: n for user, n in session.connection().execute(_OPEN_LOAD)}


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


def _open_load_of(postgres: bool):
    """`_OPEN_LOAD` of the people in the list `users` only: their pending pages through
    the pending pages' own index (`pages.state = 'pending'`, a partial index that holds
    only the pages still waiting), and the requests they acknowledged through the
    assignee's index. So the read follows the open load of the people routing weighs,
    where `_OPEN_LOAD` visits the pages of every open request of every team (with a
    thousand requests open, 1.3 ms of the database's CPU on every routing, inside the
    team's routing turn). A request still counts once per person."""
    rows = union_all(
        select(PAGES.c.user.label("user"), PAGES.c.request_id.label("request_id"))
        .join(REQUESTS, REQUESTS.c.id == PAGES.c.request_id)
        .where(in_list(PAGES.c.user, "users", postgres), PAGES.c.state == "pending",
               REQUESTS.c.status == "open"),
        select(REQUESTS.c.assignee, REQUESTS.c.id)
        .where(in_list(REQUESTS.c.assignee, "users", postgres),
               REQUESTS.c.status == "acknowledged"),
    ).subquery()
    return (select(literal_column("'o'").label("kind"), rows.c.user.label("user"),
                   func.count(rows.c.request_id.distinct()).label("n"))
            .group_by(rows.c.user))


def _care_row(kind: str, user: str, n, opened: dict, points: dict, paused: set) -> None:
    if kind == "o":
        opened[user] = int(n)
    elif kind == "x":
        points[user] = int(n or 0)
    else:
        paused.add(user)


# `page_history`, the open load (`_open_load_of`), the exposure points and the breaks in
# one statement: what routing a request reads while it holds the team's routing turn, so
# one round trip fewer under the lock. The history's rows come first ('h': pages since
# `recent`, the last page since `history`), so that their time column gives the union
# its type.
# The history and the open load are read for the people routing may weigh only
# (`users`): through the
# pages' (user, sent_utc) index that is a short range per person, where all pages
# since `history` would be every page of the week, however many people they went to.
# The people are one array on PostgreSQL (`bulk.in_list`): a long IN list made psycopg
# parse the statement again on every run.
_HISTORY_LOAD_AND_CARE = PerDialect(lambda postgres: union_all(
    select(literal_column("'h'").label("kind"), PAGES.c.user.label("user"),
           func.count(case((PAGES.c.sent_utc >= bindparam("recent"), 1))).label("n"),
           func.max(PAGES.c.sent_utc).label("at"))
    .where(in_list(PAGES.c.user, "users", postgres),
           PAGES.c.sent_utc >= bindparam("history")).group_by(PAGES.c.user),
    *(s.add_columns(null()) for s in (_open_load_of(postgres), *_CARE)),
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
