"""An intake channel in a surge, and how its traffic is combined: every rule in one place.

Slack takes about one message per second per channel (short bursts allowed) and answers
more with HTTP 429. Page DMs go to each person's own DM channel, so they never wait for
the intake channel; the intake channel's cards and thread lines are what a surge piles up.

- **A surge** starts when Slack turns a post to the channel away (429), and lasts until
  `CALM` has passed without another. Without a 429 nothing changes: one card per
  request, its lines in its own thread, as always.
- **In a surge** the channel's waiting cards are not posted one by one: one *digest card*
  lists them (`DIGEST_MAX` at most), and while it is younger than `DIGEST_OPEN` and has
  room, requests filed after it are added to it in place (`chat.update`, a method whose
  limit is not the channel's posting rate). Each listed request's card *is* the digest:
  its later updates re-render the digest, its thread lines go in the digest's thread.
- **Thread lines** waiting for the channel go out as one post per thread per pass, and
  the passes for one channel are at least `PACE` apart, so the channel gets about one
  post per `PACE` however many requests arrive: its backlog is what came in during the
  last `PACE`, and every request is listed within a few `PACE`s (Retry-After included).
"""

from __future__ import annotations

from datetime import datetime, timedelta

CALM = timedelta(seconds=60)  # a surge ends this long after Slack's last 429 on the channel
PACE = timedelta(seconds=1)  # a combined post to one channel at most this often
DIGEST_MAX = 20  # requests one digest card lists (Block Kit: 50 blocks a message)
DIGEST_OPEN = timedelta(minutes=2)  # a digest takes requests filed after it this long


def in_surge(last_turned_away: datetime | None, now: datetime) -> bool:
    """Is a channel Slack last turned a post away from at `last_turned_away` in a surge?"""
    return last_turned_away is not None and now - last_turned_away < CALM


def digest_takes(opened: datetime, listed: int, now: datetime) -> int:
    """How many more requests a digest posted at `opened` listing `listed` can take."""
    if now - opened >= DIGEST_OPEN:
        return 0
    return max(DIGEST_MAX - listed, 0)


def next_pass(last_pass: datetime | None, now: datetime) -> datetime | None:
    """When a channel's next combined post may go (None: now)."""
    if last_pass is None or now - last_pass >= PACE:
        return None
    return last_pass + PACE
