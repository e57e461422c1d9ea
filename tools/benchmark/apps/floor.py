"""The floor of the stack: the least a Flask view on redis-py can do for each
call the bench measures, served by tools/bench on the service's own gunicorn
shape (worker class, workers, threads). The service, with every production
feature on, is measured against it in the same run.

No validation, logging, metrics, auth or error shapes: `GET /` is one PING,
`POST /write` parses the JSON body and SETs it, `GET /list` streams SCAN
batches fetched with MGET, as the service's `/list` does.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator

import redis
from flask import Flask, Response, request

LIST_BATCH = 1000  # keys per SCAN and MGET, the service's default KV_LIST_BATCH

app = Flask(__name__)
r = redis.Redis.from_url(
    os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"), decode_responses=True
)


@app.get("/")
def index() -> Response:
    r.ping()
    return Response(b'{"message":"Redis connection is healthy!"}', mimetype="application/json")


@app.post("/write")
def write() -> Response:
    data = request.get_json()
    r.set(data["key"], data["value"])
    return Response(json.dumps(data), mimetype="application/json")


@app.get("/list")
def list_all() -> Response:
    def body() -> Iterator[str]:
        separator = "{"
        cursor = None
        while cursor != 0:
            cursor, keys = r.scan(cursor or 0, count=LIST_BATCH)
            if keys:
                yield separator + json.dumps(dict(zip(keys, r.mget(keys), strict=True)))[1:-1]
                separator = ", "
        yield "}" if separator == ", " else "{}"

    return Response(body(), mimetype="application/json")
