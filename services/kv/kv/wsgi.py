"""WSGI entry point for gunicorn: `kv.wsgi:app`. Reads configuration from the environment."""

from kv import lifecycle
from kv.app import create_app
from kv.config import Config
from kv.observability import configure_logging

_config = Config.from_env()
configure_logging(_config.log_level)
app = create_app(_config, draining=lifecycle.DRAINING.is_set)
