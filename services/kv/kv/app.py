"""The Flask application factory: configuration in, blueprints registered."""

from __future__ import annotations

from flask import Flask

from kv import api, observability, operations
from kv.auth import TokenFile
from kv.config import Config
from kv.errors import register_error_handlers
from kv.service import Service
from kv.store import RedisStore, Store
from kv.validation import Limits


def create_app(
    config: Config, store: Store | None = None, tokens: TokenFile | None = None
) -> Flask:
    """Builds the app. Nothing connects to Redis until the first request.

    `store` and `tokens` default to the ones `config` describes (a RedisStore,
    the KV_AUTH_TOKENS_FILE); a caller that passes its own closes it.
    """
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = config.body_limit
    # No implicit OPTIONS answers (empty 200s the contract does not describe):
    # OPTIONS is a 405 in the one error shape, like any other unlisted method.
    app.config["PROVIDE_AUTOMATIC_OPTIONS"] = False
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.json.ensure_ascii = True  # type: ignore[attr-defined]
    if tokens is None and config.auth_tokens_file:
        tokens = TokenFile(config.auth_tokens_file)
    metrics = observability.Metrics()
    limits = Limits(config.max_key_bytes, config.max_value_bytes)
    app.extensions["kv"] = Service(config, limits, store or RedisStore(config), metrics, tokens)
    observability.install(app, metrics, config.gcp_project)
    register_error_handlers(app)
    app.register_blueprint(api.bp)
    app.register_blueprint(operations.bp)
    return app
