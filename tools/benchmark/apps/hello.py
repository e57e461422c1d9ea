"""The ceiling of this stack: a bare Flask app with no Redis, run by tools/bench
under the service's own gunicorn config. It answers GET / and POST /write with the
same status codes and a body of similar size, and does nothing else."""

from __future__ import annotations

from flask import Flask, Response, jsonify, request


def create_app() -> Flask:
    app = Flask(__name__)

    @app.get("/")
    def index() -> Response:
        return jsonify(status="ok")

    @app.post("/write")
    def write() -> tuple[Response, int]:
        # Reading the body is part of any write; validating it is not (that is
        # the service's work being measured against this ceiling).
        return jsonify(request.get_json(silent=True) or {}), 201

    return app


app = create_app()
