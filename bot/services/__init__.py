"""Use cases: one transaction each, `now` passed in. Every front end calls these."""
