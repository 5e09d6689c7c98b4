"""`gunicorn bot.app.wsgi:application`: the HTTP app alone, settings from the environment.

The background jobs run in `oncall-bot worker` (the Procfile's worker line).
"""

from bot.app.runtime import Runtime
from bot.config import Settings

_settings = Settings.from_env()
_runtime = Runtime(_settings, role="web")  # no jobs here: it never beats
# Only what ONCALL_SCHEDULES names, never the example team (as `serve` does).
_runtime.import_configured()
_runtime.warm_up()
application = _runtime.wsgi
