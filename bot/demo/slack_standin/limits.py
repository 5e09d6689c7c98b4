"""Slack's rate limits, as the stand-in models them when a test turns them on
(``SlackStandIn(rate_limits=RateLimits(...))`` or ``standin.limit_rates()``).

Slack's published rules (its "Rate limits" page), per app per workspace:

- ``chat.postMessage``: about one message per second per channel, with short bursts
  tolerated. Modelled as a token bucket per channel (a user id counts as its DM
  channel): ``post_burst`` posts at once, then one more every ``1 / post_rate`` s.
- Every other Web API method has a tier, a number of calls per minute per method for
  the whole workspace (Tier 1: 1+, Tier 2: 20+, Tier 3: 50+, Tier 4: 100+), bursts
  welcome: a bucket per method holding a minute's calls, refilled evenly.

A call over its limit is answered HTTP 429 ``{"ok": false, "error": "ratelimited"}``
with ``Retry-After`` (whole seconds, at least 1: when the bucket holds a call again) and
has no side effect. Time is the stand-in's ``clock`` (seconds), so a test that moves an
injected clock moves the limits with it.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

POST_METHOD = "chat.postMessage"
TIER_PER_MINUTE = {1: 1, 2: 20, 3: 50, 4: 100}
# The tier of each method the bot calls (Slack's method reference). Methods not listed
# (auth.test, uploads) are not limited here.
METHOD_TIERS: Mapping[str, int] = {
    "chat.update": 3, "chat.postEphemeral": 4, "chat.getPermalink": 4,
    "conversations.open": 3, "conversations.history": 3, "conversations.replies": 3,
    "conversations.create": 2, "conversations.invite": 3, "pins.add": 2,
    "views.open": 4, "views.push": 4, "views.update": 4, "views.publish": 4,
    "users.info": 4, "usergroups.users.list": 2, "usergroups.users.update": 2,
    "files.getUploadURLExternal": 4, "files.completeUploadExternal": 4, "files.info": 4,
}


@dataclass
class Bucket:
    capacity: float
    per_second: float
    tokens: float
    at: float

    def take(self, now: float) -> float:
        """Take one call: 0 when allowed, else the seconds until one would be."""
        self.tokens = min(self.capacity, self.tokens + max(now - self.at, 0.0) * self.per_second)
        self.at = max(now, self.at)
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return 0.0
        return (1.0 - self.tokens) / self.per_second


@dataclass
class RateLimits:
    """The limits in force: ``post_rate`` posts per second per channel after a burst of
    ``post_burst``; ``tiers`` (False: only the per-channel posting rate)."""

    post_rate: float = 1.0
    post_burst: int = 4
    tiers: bool = True
    method_tiers: Mapping[str, int] = field(default_factory=lambda: dict(METHOD_TIERS))
    # Not arguments: `dataclasses.replace(limits)` gives the same limits, fresh buckets.
    _buckets: dict[str, Bucket] = field(default_factory=dict, repr=False, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, init=False)

    def __post_init__(self) -> None:
        if not (self.post_rate > 0 and self.post_burst >= 1):
            raise ValueError("post_rate must be > 0 and post_burst >= 1")

    def retry_after(self, method: str, params: Mapping[str, Any], now: float,
                    channel_of: Callable[[str], str]) -> int | None:
        """None when the call may go (it is counted), else the Retry-After to answer."""
        if method == POST_METHOD:
            channel = str(params.get("channel") or "")
            key, capacity, rate = f"post:{channel_of(channel)}", self.post_burst, self.post_rate
        elif self.tiers and method in self.method_tiers:
            per_minute = TIER_PER_MINUTE[self.method_tiers[method]]
            key, capacity, rate = f"tier:{method}", per_minute, per_minute / 60.0
        else:
            return None
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None:
                bucket = self._buckets[key] = Bucket(capacity, rate, capacity, now)
            wait = bucket.take(now)
        return None if wait <= 0 else max(1, math.ceil(wait - 1e-9))
