"""How busy people are, read for routing: open requests, recent pages, last page.

One grouped query for the open load and the page history, whatever the size of the
team (bot.store.paging), also bringing the team's exposure points and breaks
(`routing.Load.care`) when the team is given; the escalation of a request and
`/oncall who` both read it here, so they answer the same question the same way."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from bot.core import routing
from bot.core.model import Team
from bot.core.roster import Roster
from bot.core.wellbeing import NO_CARE, Care
from bot.store import load_reads as q

RECENT = timedelta(hours=24)  # "fewest recent pages" looks this far back
# "Longest since the last page" looks this far back; anyone not paged in it ties with
# those never paged (then the order the team lists them decides).
LAST_PAGE_WINDOW = timedelta(days=7)


def current_load(session: Session, now: datetime, capacity: int | None,
                 own_pending: Iterable[str] = (), team: Team | None = None,
                 sensitive: bool = False, roster: Roster | None = None) -> routing.Load:
    """The load at `now`. `own_pending`: who has a page waiting on the request being
    routed (not load against taking that same request). With `team`: its people's
    exposure over `wellbeing.exposure_window` and who is on a break (`Load.care`), read
    in the same statement as the open load; `sensitive`: the request being routed is.
    With `roster` (the team's): the page history only of those routing may weigh at
    `now` (`routing.weighed`), which is what a routing decision asks."""
    care = NO_CARE
    if team is None:
        recent, last_paged = q.page_history(session, now - LAST_PAGE_WINDOW, now - RECENT)
        opened = q.open_load(session)
    else:
        w = team.wellbeing
        users = (routing.weighed(roster, now) if roster is not None
                 else [s.id for s in team.specialists])
        recent, last_paged, opened, points, paused = q.history_load_and_care(
            session, team.name, now - LAST_PAGE_WINDOW, now - RECENT,
            now - w.exposure_window, now, users)
        care = Care(points, w.exposure_limit, paused, w.exposure_window)
    for user in own_pending:
        if opened.get(user):
            opened[user] -= 1
    return routing.Load(recent, opened, last_paged, capacity, care, sensitive)
