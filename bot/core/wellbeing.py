"""Who has read how much graphic content, and who is on a break: the rules routing and
the replies share. Pure: the rows come from bot.store.wellbeing."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

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

    def exposure(self, user: str) -> int:
        return self.points.get(user, 0)

    def at_limit(self, user: str) -> bool:
        """At or past the limit: passed over while another reader is free."""
        return self.limit is not None and self.exposure(user) >= self.limit

    def is_paused(self, user: str) -> bool:
        return user in self.paused


NO_CARE = Care()  # nothing known: nobody exposed, nobody on a break
