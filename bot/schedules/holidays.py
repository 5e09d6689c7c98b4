"""Public holidays from the `holidays` package, in the shape the roster asks for."""

from __future__ import annotations

from datetime import date
from functools import lru_cache

import holidays


def parse_code(code: str) -> tuple[str, str | None]:
    """"MX" -> ("MX", None); "US-TX" -> ("US", "TX")."""
    country, _, subdiv = code.strip().partition("-")
    return country.upper(), (subdiv.upper() or None)


def check_code(code: str) -> str | None:
    """None when `code` names a supported country (and subdivision), else why not."""
    country, subdiv = parse_code(code)
    try:
        holidays.country_holidays(country, subdiv=subdiv, years=2026)
    except (NotImplementedError, KeyError):
        return f"unknown holiday calendar '{code}'; use a country code such as MX or US-TX"
    return None


@lru_cache(maxsize=1024)
def _dates(code: str, year: int) -> tuple[date, ...]:
    country, subdiv = parse_code(code)
    return tuple(sorted(holidays.country_holidays(country, subdiv=subdiv, years=year)))


def holiday_dates(code: str, year: int) -> tuple[date, ...]:
    return _dates(code, year)
