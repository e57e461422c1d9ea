"""The upstream app: the reference implementation of the contract the service
keeps (issue 12's upstream table), rebuilt as such exercise apps are written.

A plain Flask app on redis-py with a module-level client. tools/bench serves it
the way its own Dockerfile does, `gunicorn -w 4 app:app` (sync workers), and
compares the service with it in the same run. Do not copy it: `/list` reads
every key with `KEYS *` and one GET per key.
"""

from __future__ import annotations

import os
import random
import string

import redis
from flask import Flask, jsonify, request
from flask.typing import ResponseReturnValue

app = Flask(__name__)
r = redis.Redis.from_url(
    os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"), decode_responses=True
)


def _random_text(length: int) -> str:
    return "".join(random.choices(string.ascii_letters + string.digits, k=length))  # noqa: S311


@app.route("/")
def index() -> ResponseReturnValue:
    try:
        r.ping()
        return "Redis connection is healthy!"
    except redis.ConnectionError:
        return "Could not connect to Redis!", 500


@app.route("/write", methods=["POST"])
def write() -> ResponseReturnValue:
    data = request.get_json(silent=True)
    if not data:
        key, value = _random_text(8), _random_text(16)
    else:
        key, value = data.get("key"), data.get("value")
        if not key or not value:
            return jsonify({"error": 'Both "key" and "value" are required'}), 400
    r.set(key, value)
    return jsonify({"message": "Key-Value pair added", "key": key, "value": value})


@app.route("/delete", methods=["DELETE"])
def delete() -> ResponseReturnValue:
    key = request.args.get("key")
    if not key:
        return jsonify({"error": "Key parameter is required"}), 400
    if r.delete(key):
        return jsonify({"message": f"Key {key} deleted"})
    return jsonify({"error": f"Key {key} not found"}), 404


@app.route("/list")
def list_all() -> ResponseReturnValue:
    return jsonify({key: r.get(key) for key in r.keys("*")})
