"""Slack adapters: Web API client factory and the local Slack Web API stand-in."""
