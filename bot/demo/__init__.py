"""`oncall-bot demo` and what it runs on: the Slack Web API stand-in, the signed request
simulator and a local WSGI server. Tests and benchmarks use them too; production never
imports this package."""
