"""The kv service: a small key-value HTTP API over Redis."""

from kv.app import create_app
from kv.config import Config, ConfigError

__all__ = ["Config", "ConfigError", "create_app"]
