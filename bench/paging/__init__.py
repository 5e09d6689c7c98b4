"""The pieces of `python -m bench.paging_latency` (bench/paging_latency.py runs them).

- `team`: the 300-specialist team as a schedules folder;
- `server`: the bot (or the bare Bolt baseline) as a gunicorn subprocess, a fresh
  PostgreSQL database, what /proc says about a process, the server log;
- `load`: signed /emergency POSTs on an open-loop schedule, and the page DMs as they
  reach the Slack stand-in;
- `phases`: one load phase on a fresh server and database, the bare Bolt baseline and
  the SQL count of one request;
- `figures` and `report`: the table of figures beside their targets.
"""
