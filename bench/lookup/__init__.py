"""The schedule-lookup bench (`python -m bench.schedule_lookup`), by concern.

- `instants`: the measured window and the instants asked about (random and boundary);
- `ical`: the schedule exported as recurring iCalendar events and answered from them;
- `answers`: the engine's answer, the brute-force third opinion, engine vs iCalendar;
- `timing`: percentiles and the timed engine lookups;
- `report`: the report's three sections (engine, iCalendar baseline, coverage).
"""
