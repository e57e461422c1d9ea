"""The public API: `/`, `/write`, `/delete`, `/list`, as the upstream app's
clients read them (see "upstream vs this service" in services/README.md).

Views are thin: validate input (kv.validation), call the store (kv.store),
shape the response. Errors are raised as kv.errors.ApiError and rendered in
one place.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Iterator
from json.encoder import encode_basestring_ascii as quote

from flask import Blueprint, Response, g, jsonify, request

from kv import auth, validation
from kv.errors import InvalidParameter, KeyNotFound, PayloadTooLarge, StoreUnavailable, render
from kv.service import service
from kv.store import InvalidCursor, Keys, Pairs, Store, page_keys

bp = Blueprint("api", __name__)

NEXT_CURSOR_HEADER = "X-Next-Cursor"
HEALTHY = b'{"message":"Redis connection is healthy!","status":"ok","redis":"reachable"}\n'
ADDED = "Key-Value pair added"
_STREAM_CHUNK = 64 * 1024


def store_call(operation: str) -> Store:
    """The store, noting the operation so a failure is counted under it."""
    g.operation = operation
    return service().store


@bp.app_errorhandler(StoreUnavailable)
def unavailable(error: StoreUnavailable) -> Response:
    service().metrics.redis_errors.labels(g.get("operation", "unknown")).inc()
    return render(error)


@bp.get("/")
@auth.read_token_required
def index() -> Response:
    # A successful Redis check at most KV_STATUS_CACHE_S old (per worker) is
    # reused: a flood of GET / cannot become a flood of PINGs on every shard,
    # and a failure is never cached, so recovery shows at once.
    if request.args:
        validation.only_parameters(request.args, ())
    kv = service()
    now = time.monotonic()
    if now - kv.last_reachable >= kv.config.status_cache_s:
        store_call("ping").ping()
        kv.last_reachable = now
    return Response(HEALTHY, mimetype="application/json")


@bp.post("/write")
@auth.write_token_required
def write() -> Response:
    kv = service()
    body = request.get_data(cache=False)
    # A chunked body has no length to refuse up front, and Werkzeug stops
    # reading at the limit without an error: look for more.
    limit = kv.config.body_limit
    if (
        len(body) >= limit
        and request.content_length is None
        and request.environ["wsgi.input"].read(1)
    ):
        raise PayloadTooLarge(f"request body is over {limit} bytes")
    pair = validation.parse_write(request.content_type, body, kv.limits) if body else None
    if pair is None:
        return write_random()
    validation.only_parameters(request.args, ())
    store_call("write").put(*pair)
    return jsonify({"message": ADDED, "key": pair[0], "value": pair[1]})


def write_random() -> Response:
    """No payload: random pairs, `count` of them (1 unless asked). The first
    pair is the upstream answer's key and value; `pairs` holds all of them."""
    validation.only_parameters(request.args, ("count",))
    most = service().config.random_write_max
    count = validation.int_parameter(request.args, "count", 1, 1, most)
    pairs = [(f"random-{secrets.token_hex(8)}", secrets.token_hex(16)) for _ in range(count)]
    store_call("write").put_many(pairs)
    (key, value), message = pairs[0], ADDED if count == 1 else f"{count} Key-Value pairs added"
    return jsonify(
        {
            "message": message,
            "key": key,
            "value": value,
            "pairs": [{"key": k, "value": v} for k, v in pairs],
        }
    )


@bp.delete("/delete")
@auth.write_token_required
def delete() -> Response:
    validation.only_parameters(request.args, ("key",))
    key = validation.single_parameter(request.args, "key")
    if not key:
        raise InvalidParameter(validation.KEY_REQUIRED)
    key = validation.check_key(key, service().limits, field="query parameter 'key'")
    if not store_call("delete").delete(key):
        raise KeyNotFound(f"Key {key} not found")
    return jsonify({"message": f"Key {key} deleted"})


@bp.get("/list")
@auth.read_token_required
def list_pairs() -> Response:
    """Every pair as one JSON object, streamed; with `limit` and/or `cursor`,
    one page of them, with X-Next-Cursor naming the next (absent on the last)."""
    validation.only_parameters(request.args, ("cursor", "limit"))
    kv = service()
    store = store_call("list")
    cursor = validation.single_parameter(request.args, "cursor")
    if cursor is None and "limit" not in request.args:
        return stream(store, every_batch(store, kv.config.list_batch), kv.config.list_batch_bytes)
    limit = validation.int_parameter(
        request.args, "limit", kv.config.list_batch, 1, kv.config.list_page_max
    )
    try:
        keys, next_cursor = page_keys(store, cursor or "0", limit)
    except InvalidCursor as error:
        raise InvalidParameter("cursor is not one this service returned") from error
    response = stream(store, iter([keys]), kv.config.list_batch_bytes)
    if next_cursor != "0":
        response.headers[NEXT_CURSOR_HEADER] = next_cursor
    return response


def every_batch(store: Store, batch: int) -> Iterator[Keys]:
    """Our keys, one SCAN step at a time, to the end."""
    cursor = "0"
    while True:
        keys, cursor = store.scan(cursor, batch)
        yield keys
        if cursor == "0":
            return


def stream(store: Store, batches: Iterator[Keys], budget: int) -> Response:
    """The pairs of every key in `batches` as one JSON object, streamed.

    Values are read at most `budget` bytes at a time (Store.pairs), and each
    read is encoded and sent before the next: one stream holds one budget of
    values plus the encoding of one value, whatever the key count or value
    size. The first pairs are read before the response starts, so a Redis
    that fails early is still a clean 503 (say, a cluster whose first shards
    hold none of our keys). A failure after the first byte cannot change the
    status: the connection is closed early and the client sees a truncated body.
    """

    def reads() -> Iterator[Pairs]:
        for keys in batches:
            yield from store.pairs(keys, budget)

    pending = reads()
    first: Pairs = {}
    for first in pending:
        if first:
            break

    def body() -> Iterator[bytes]:
        buffer: list[str] = ["{"]
        size = 1
        separator = ""
        for pairs in _chain(first, pending):
            if not pairs:
                continue
            for piece in _json_members(pairs, separator):
                buffer.append(piece)
                size += len(piece)
                if size >= _STREAM_CHUNK:
                    yield "".join(buffer).encode()
                    buffer, size = [], 0
            separator = ", "
        buffer.append("}")
        yield "".join(buffer).encode()

    return Response(body(), mimetype="application/json")


def _json_members(pairs: Pairs, separator: str) -> Iterator[str]:
    """The pairs as JSON object members (no braces), after `separator`."""
    if sum(map(len, pairs.values())) < _STREAM_CHUNK:
        # Small values: one C-accelerated dumps for the read, braces stripped.
        yield separator + json.dumps(pairs)[1:-1]
        return
    # Pair by pair: a read of near-limit values would otherwise be copied
    # whole three more times (JSON, braces stripped, bytes) before it is sent.
    for key, value in pairs.items():
        yield f"{separator}{quote(key)}: "
        yield quote(value)
        separator = ", "


def _chain(first: Pairs, rest: Iterator[Pairs]) -> Iterator[Pairs]:
    yield first
    yield from rest
