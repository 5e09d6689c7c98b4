"""Routing's open load, read for the people it weighs (both backends).

A person's open load is the requests waiting for their answer (a pending page on an
open request) and the requests they acknowledged and have not resolved, each request
once. The read names the people; it is checked here against that definition on random
rows (a page pending only on an open request, as the services keep them), and asked of
people who are not in the list it must leave out. That the services keep pages so is
checked after every end-to-end test, when it closes its harness
(`tests/slack_harness.py`, `Harness.close`)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from bot.store.load_reads import history_load_and_care
from bot.store.paging_tables import PageRow, RequestRow

NOW = datetime(2026, 12, 4, 12, tzinfo=UTC)
PEOPLE = [f"U0PERSON{i:02d}" for i in range(8)]
PAGE_STATES = ("pending", "acknowledged", "declined", "closed", "undeliverable")


def _request(i: int, status: str, assignee: str | None) -> RequestRow:
    return RequestRow(key=f"T-{i}", team="desk", requester="U0REQUESTER", via="slash",
                      text="help", severity="sev2", language="en",
                      language_source="explicit", status=status, assignee=assignee,
                      policy={}, created_utc=NOW - timedelta(minutes=i))


def _expected(requests: list[RequestRow], pages: list[PageRow], users: set[str]
              ) -> dict[str, int]:
    by_id = {r.id: r for r in requests}
    pairs = {(p.user, p.request_id) for p in pages
             if p.state == "pending" and by_id[p.request_id].status == "open"}
    pairs |= {(r.assignee, r.id) for r in requests
              if r.status == "acknowledged" and r.assignee is not None}
    counts: dict[str, int] = {}
    for user, _ in pairs:
        if user in users:
            counts[user] = counts.get(user, 0) + 1
    return counts


@pytest.mark.parametrize("seed", range(4))
def test_the_open_load_counts_each_request_once_for_the_people_asked(db_engine, seed):
    rnd = random.Random(seed)
    with Session(db_engine) as session, session.begin():
        requests = []
        for i in range(60):
            status = rnd.choice(("open", "open", "acknowledged", "resolved"))
            assignee = rnd.choice(PEOPLE) if status != "open" else None
            requests.append(_request(i, status, assignee))
        session.add_all(requests)
        session.flush()
        pages = []
        for r in requests:
            # A page is pending only while its request is open (`PageRow.state`).
            states = PAGE_STATES if r.status == "open" else PAGE_STATES[1:]
            for _ in range(rnd.randint(0, 4)):  # the same person twice now and then
                pages.append(PageRow(
                    request_id=r.id, user=rnd.choice(PEOPLE[:5]), round=0, step=0,
                    source="on_call", needs_translation=False,
                    state=rnd.choice(states),
                    sent_utc=NOW - timedelta(minutes=rnd.randint(0, 600))))
        # Paged twice on one open request (a later round): still one request.
        twice = next(r for r in requests if r.status == "open")
        pages += [PageRow(request_id=twice.id, user=PEOPLE[0], round=n, step=0,
                          source="on_call", needs_translation=False, state="pending",
                          sent_utc=NOW) for n in (0, 1)]
        session.add_all(pages)
        session.flush()
        asked = {PEOPLE[0], *rnd.sample(PEOPLE, 4)}
        _, _, opened, _, _ = history_load_and_care(
            session, "desk", NOW - timedelta(days=7), NOW - timedelta(hours=24),
            NOW - timedelta(days=7), NOW, asked)
        expected = _expected(requests, pages, asked)
    assert expected, "the rows should give someone asked an open load"
    assert opened == expected
    assert set(opened) <= asked
