"""Pure domain: stdlib and pytz only; no I/O, no clock, no Slack, no database."""
