"""The Flask application factory: configuration in, blueprints registered."""

from __future__ import annotations

import json
from typing import Any

from flask import Flask
from flask.json.provider import DefaultJSONProvider
from werkzeug.sansio.response import Response

from kv import api, observability, operations
from kv.auth import TokenFile
from kv.config import Config
from kv.errors import register_error_handlers
from kv.service import Service
from kv.store import RedisStore, Store
from kv.validation import Limits


class JsonProvider(DefaultJSONProvider):
    """Flask's JSON in the service's shape (fields in the order written,
    ASCII-only, compact), with the response encoder built once: json.dumps
    with options builds a new one on every call."""

    sort_keys = False
    ensure_ascii = True

    def __init__(self, app: Flask) -> None:
        super().__init__(app)
        self._encode = json.JSONEncoder(
            default=self.default, ensure_ascii=True, separators=(",", ":")
        ).encode

    def response(self, *args: Any, **kwargs: Any) -> Response:
        if kwargs or len(args) != 1:
            return super().response(*args, **kwargs)
        return self._app.response_class(f"{self._encode(args[0])}\n", mimetype=self.mimetype)


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
    app.json = JsonProvider(app)
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
