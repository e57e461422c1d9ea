"""The Flask application factory and its routes.

Routes are thin: validate input (kv.validation), call the store (kv.store),
shape the response. Errors are raised as kv.errors.ApiError and rendered in
one place.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Callable, Iterator
from importlib import resources

from flask import Flask, Response, g, jsonify, request

from kv import auth, observability, validation
from kv.config import Config
from kv.errors import (
    InvalidParameter,
    KeyNotFound,
    PayloadTooLarge,
    ShuttingDown,
    StoreUnavailable,
    register_error_handlers,
    render,
)
from kv.store import InvalidCursor, Pairs, RedisStore, Store, page

NEXT_CURSOR_HEADER = "X-Next-Cursor"
# Fixed answers, encoded once.
REACHABLE = b'{"status":"ok","redis":"reachable"}\n'
ALIVE = b'{"status":"alive"}\n'
READY = b'{"status":"ready"}\n'
_STREAM_CHUNK = 64 * 1024


# Flask endpoint names (the view functions below) that a bearer token guards.
WRITE_ENDPOINTS = ("write", "delete")
READ_ENDPOINTS = ("index", "list_pairs")


def create_app(
    config: Config | None = None,
    store: Store | None = None,
    draining: Callable[[], bool] = lambda: False,
) -> Flask:
    """Builds the app. Nothing connects to Redis until the first request.

    `draining` says whether this instance is shutting down (kv.lifecycle under
    gunicorn); while it is, /readyz fails so the load balancer moves away.
    """
    config = config or Config.from_env()
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = config.body_limit
    # No implicit OPTIONS answers (empty 200s the contract does not describe):
    # OPTIONS is a 405 in the one error shape, like any other unlisted method.
    app.config["PROVIDE_AUTOMATIC_OPTIONS"] = False
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.json.ensure_ascii = True  # type: ignore[attr-defined]
    store = store or RedisStore(config)
    metrics = observability.Metrics()
    app.extensions["kv"] = {"config": config, "store": store, "metrics": metrics}
    observability.install(app, metrics, config.gcp_project)
    protected = WRITE_ENDPOINTS + (READ_ENDPOINTS if config.auth_reads == "protected" else ())
    app.extensions["kv"]["tokens"] = auth.install(app, config, metrics, protected)
    register_error_handlers(app)
    openapi = resources.files("kv").joinpath("openapi.yaml").read_bytes()

    def store_call(operation: str) -> Store:
        """The store, noting the operation so a failure is counted under it."""
        g.operation = operation
        return store

    @app.errorhandler(StoreUnavailable)
    def _unavailable(error: StoreUnavailable) -> Response:
        metrics.redis_errors.labels(g.get("operation", "unknown")).inc()
        return render(error)

    # GET / answers from a successful Redis check at most KV_STATUS_CACHE_S
    # old (per worker): a flood of GET / cannot become a flood of PINGs on
    # every shard, and a failure is never cached, so recovery shows at once.
    last_reachable = [float("-inf")]

    @app.get("/")
    def index() -> Response:
        if request.args:
            validation.only_parameters(request.args, ())
        now = time.monotonic()
        if now - last_reachable[0] >= config.status_cache_s:
            store_call("ping").ping()
            last_reachable[0] = now
        return json_response(REACHABLE)

    @app.post("/write")
    def write() -> tuple[Response, int]:
        body = request.get_data(cache=False)
        # A chunked body has no length to refuse up front, and Werkzeug stops
        # reading at the limit without an error: look for more.
        if (
            len(body) >= config.body_limit
            and request.content_length is None
            and request.environ["wsgi.input"].read(1)
        ):
            raise PayloadTooLarge(f"request body is over {config.body_limit} bytes")
        if not body:
            validation.only_parameters(request.args, ("count",))
            count = validation.int_parameter(request.args, "count", 1, 1, config.random_write_max)
            pairs = [
                (f"random-{secrets.token_hex(8)}", secrets.token_hex(16)) for _ in range(count)
            ]
            store_call("write").put_many(pairs)
            return jsonify({"written": [{"key": k, "value": v} for k, v in pairs]}), 201
        validation.only_parameters(request.args, ())
        key, value = validation.parse_write(request.content_type, body, config)
        store_call("write").put(key, value)
        return jsonify({"key": key, "value": value}), 201

    @app.delete("/delete")
    def delete() -> Response:
        validation.only_parameters(request.args, ("key",))
        key = validation.single_parameter(request.args, "key")
        if key is None:
            raise InvalidParameter("query parameter 'key' is required: DELETE /delete?key=K")
        key = validation.check_key(key, config, field="query parameter 'key'")
        if not store_call("delete").delete(key):
            raise KeyNotFound(f"key {key!r} does not exist")
        return jsonify({"deleted": key})

    @app.get("/list")
    def list_pairs() -> Response:
        validation.only_parameters(request.args, ("cursor", "limit"))
        cursor = validation.single_parameter(request.args, "cursor")
        if cursor is None and "limit" not in request.args:
            return _stream_all(store_call("list"), config.list_batch)
        limit = validation.int_parameter(
            request.args, "limit", config.list_batch, 1, config.list_page_max
        )
        try:
            pairs, next_cursor = page(store_call("list"), cursor or "0", limit)
        except InvalidCursor as error:
            raise InvalidParameter("cursor is not one this service returned") from error
        response = jsonify(dict(pairs))
        if next_cursor != "0":
            response.headers[NEXT_CURSOR_HEADER] = next_cursor
        return response

    @app.get("/healthz")
    def healthz() -> Response:
        return json_response(ALIVE)

    @app.get("/readyz")
    def readyz() -> Response:
        if draining():
            raise ShuttingDown("this instance is shutting down; use another")
        store_call("ping").ready()
        return json_response(READY)

    @app.get("/metrics")
    def metrics_endpoint() -> Response:
        return metrics.exposition()

    @app.get("/openapi.yaml")
    def openapi_document() -> Response:
        return Response(openapi, mimetype="application/yaml")

    return app


def json_response(body: bytes, status: int = 200) -> Response:
    return Response(body, status=status, mimetype="application/json")


def _stream_all(store: Store, batch: int) -> Response:
    """GET /list without parameters: every pair, streamed as one JSON object.

    The first non-empty batch is read before the response starts, so an
    unreachable Redis is still a clean 503. Memory stays at one batch whatever the key
    count. A failure after the first byte cannot change the status: the
    connection is closed early and the client sees a truncated body.
    """
    first, cursor = store.scan("0", batch)
    # Read on to the first pairs (or the end), so a Redis failure before any
    # data (say, a cluster whose first shards hold none of our keys) is still a 503.
    while not first and cursor != "0":
        first, cursor = store.scan(cursor, batch)

    def batches() -> Iterator[Pairs]:
        nonlocal cursor
        yield first
        while cursor != "0":
            pairs, cursor = store.scan(cursor, batch)
            yield pairs

    def body() -> Iterator[bytes]:
        buffer: list[str] = ["{"]
        size = 1
        separator = ""
        for pairs in batches():
            if not pairs:
                continue
            # One C-accelerated dumps per batch; strip its braces to splice.
            chunk = separator + json.dumps(dict(pairs))[1:-1]
            separator = ", "
            buffer.append(chunk)
            size += len(chunk)
            if size >= _STREAM_CHUNK:
                yield "".join(buffer).encode()
                buffer, size = [], 0
        buffer.append("}")
        yield "".join(buffer).encode()

    return Response(body(), mimetype="application/json")
