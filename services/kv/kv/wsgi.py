"""WSGI entry point for gunicorn: `kv.wsgi:app`, built from the environment."""

from kv.app import create_app
from kv.config import process_config
from kv.observability import configure_logging

config = process_config()
configure_logging(config.log_level)
app = create_app(config)
