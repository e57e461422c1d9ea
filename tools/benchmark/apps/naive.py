"""The naive starter the service replaces, kept as a baseline for tools/bench.

Deliberately written the way a first version usually is: a module-level Redis
client, the Flask development server, `KEYS *` followed by one GET per key
for /list, and no validation. Do not copy any of it.
"""

from __future__ import annotations

import os

import redis
from flask import Flask, Response, jsonify, request

r = redis.Redis.from_url(
    os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"), decode_responses=True
)
app = Flask(__name__)


@app.get("/")
def index() -> Response:
    r.ping()
    return jsonify(redis="reachable")


@app.post("/write")
def write() -> tuple[Response, int]:
    data = request.get_json()
    r.set(data["key"], data["value"])
    return jsonify(data), 201


@app.delete("/delete")
def delete() -> tuple[Response, int]:
    key = request.args["key"]
    if r.delete(key):
        return jsonify(deleted=key), 200
    return jsonify(error="not found"), 404


@app.get("/list")
def list_all() -> Response:
    return jsonify({key: r.get(key) for key in r.keys("*")})


if __name__ == "__main__":
    app.run(host="127.0.0.1", port=int(os.environ["PORT"]))
