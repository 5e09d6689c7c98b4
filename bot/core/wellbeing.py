"""Who has read how much graphic content, and who is on a break: the rules routing and
the replies share. Pure: the rows come from bot.store.wellbeing."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta

from bot.core.model import Category


def request_weight(category: Category, sensitive: bool) -> int:
    """What one sensitive request counts toward a person's exposure: its category's
    `exposure_weight` when the category names one, else 1; a request that is not
    sensitive counts nothing."""
    if not sensitive:
        return 0
    return category.exposure_weight if category.exposure_weight is not None else 1


@dataclass(frozen=True)
class Care:
    """At one instant: each person's sensitive-request points within the team's
    `wellbeing.exposure_window`, the team's `exposure_limit`, and who is on a break."""

    points: Mapping[str, int] = field(default_factory=dict)
    limit: int | None = None  # None: no limit applies
    paused: frozenset[str] = frozenset()
    window: timedelta = timedelta(hours=8)  # how far back the points count

    def exposure(self, user: str) -> int:
        return self.points.get(user, 0)

    def at_limit(self, user: str) -> bool:
        """At or past the limit: passed over while another reader is free."""
        return self.limit is not None and self.exposure(user) >= self.limit

    def is_paused(self, user: str) -> bool:
        return user in self.paused


NO_CARE = Care()  # nothing known: nobody exposed, nobody on a break


def window_words(window: timedelta | float) -> str:
    """'8 hours', '1 hour', '90 minutes', '2 days': an exposure window read by people."""
    seconds = window.total_seconds() if isinstance(window, timedelta) else float(window)
    minutes = max(round(seconds / 60), 1)
    if minutes % (24 * 60) == 0 and minutes >= 2 * 24 * 60:
        n, unit = minutes // (24 * 60), "day"
    elif minutes % 60 == 0:
        n, unit = minutes // 60, "hour"
    else:
        n, unit = minutes, "minute"
    return f"{n} {unit}{'' if n == 1 else 's'}"
