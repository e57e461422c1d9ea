"""Operations endpoints: liveness, readiness, metrics and the contract
document. Never guarded: probes and scrapers carry no token."""

from __future__ import annotations

from importlib import resources

from flask import Blueprint, Response

from kv.api import store_call
from kv.service import service

bp = Blueprint("operations", __name__)

ALIVE = b'{"status":"alive"}\n'
READY = b'{"status":"ready"}\n'
OPENAPI = resources.files("kv").joinpath("openapi.yaml")


@bp.get("/healthz")
def healthz() -> Response:
    return Response(ALIVE, mimetype="application/json")


@bp.get("/readyz")
def readyz() -> Response:
    store_call("ping").ready()
    return Response(READY, mimetype="application/json")


@bp.get("/metrics")
def metrics() -> Response:
    return service().metrics.exposition()


@bp.get("/openapi.yaml")
def openapi_document() -> Response:
    return Response(OPENAPI.read_bytes(), mimetype="application/yaml")
