"""The security tests reuse the server tests' fixtures: the real app over the session's sample
index, a fresh SQLite store per test, agent and admin keys."""

from tests.server.conftest import admin, agent, app_settings, client, make_client

__all__ = ["admin", "agent", "app_settings", "client", "make_client"]
