"""Request IDs, JSON logs for Cloud Logging, and Prometheus metrics.

Logs: one JSON object per line on stderr, with the fields Cloud Logging reads
(`severity`, `message`, `httpRequest`, `logging.googleapis.com/trace`).
Metrics: prometheus_client in multiprocess mode when PROMETHEUS_MULTIPROC_DIR
is set (gunicorn.conf.py sets it), so /metrics sums every worker.
"""

from __future__ import annotations

import json
import logging
import os
import re
import secrets
import sys
import time
from typing import Any

from flask import Flask, Response, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)

REQUEST_ID_HEADER = "X-Request-ID"
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
# The span is an unsigned 64-bit decimal: at most 20 ASCII digits (checked for range below).
_CLOUD_TRACE = re.compile(r"^([0-9a-f]{32})(?:/([0-9]{1,20})(?![0-9]))?")
_MAX_SPAN = 2**64 - 1
_TRACEPARENT = re.compile(r"^[0-9a-f]{2}-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$")

_LEVELS = {"WARNING": "WARNING", "CRITICAL": "CRITICAL"}
# Label values are bounded: any other method (clients may send anything) is "OTHER".
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"})


class JsonFormatter(logging.Formatter):
    """Formats records as single-line JSON that Cloud Logging parses."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "severity": _LEVELS.get(record.levelname, record.levelname),
            "message": record.getMessage(),
            "logger": record.name,
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            entry.update(fields)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


JsonFormatter.converter = time.gmtime


def configure_logging(level: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)


class Metrics:
    """The service's Prometheus metrics, registered once per app."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "kv_http_requests_total",
            "HTTP requests by route, method and status.",
            ["route", "method", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "kv_http_request_duration_seconds",
            "Time to produce the response headers, by route and method.",
            ["route", "method"],
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
            registry=self.registry,
        )
        self.redis_errors = Counter(
            "kv_redis_errors_total",
            "Redis operations that failed (the client saw 503).",
            ["operation"],
            registry=self.registry,
        )
        self.auth_failures = Counter(
            "kv_auth_failures_total",
            "Requests refused for a missing (401) or invalid (403) bearer token.",
            ["reason"],
            registry=self.registry,
        )

        # Children by label values: labels() takes a lock and builds a key on
        # every call; the label sets are few and fixed, so resolve each once.
        self._request_children: dict[tuple[str, str, int], Any] = {}
        self._latency_children: dict[tuple[str, str], Any] = {}

    def observe(self, route: str, method: str, status: int, elapsed: float) -> None:
        requests = self._request_children.get((route, method, status))
        if requests is None:
            requests = self.requests.labels(route, method, str(status))
            self._request_children[(route, method, status)] = requests
        requests.inc()
        latency = self._latency_children.get((route, method))
        if latency is None:
            latency = self._latency_children[(route, method)] = self.latency.labels(route, method)
        latency.observe(elapsed)

    def exposition(self) -> Response:
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        else:
            registry = self.registry
        return Response(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)


def _request_id() -> str:
    incoming = request.headers.get(REQUEST_ID_HEADER, "")
    return incoming if _REQUEST_ID.match(incoming) else secrets.token_hex(16)


def _trace(project: str | None) -> dict[str, Any]:
    trace_id = span_id = None
    if match := _TRACEPARENT.match(request.headers.get("traceparent", "")):
        trace_id, span_id = match.group(1), match.group(2)
    elif match := _CLOUD_TRACE.match(request.headers.get("X-Cloud-Trace-Context", "")):
        trace_id = match.group(1)
        span = int(match.group(2)) if match.group(2) else 0
        span_id = format(span, "016x") if 0 < span <= _MAX_SPAN else None
    if not trace_id:
        return {}
    trace = f"projects/{project}/traces/{trace_id}" if project else trace_id
    fields: dict[str, Any] = {"logging.googleapis.com/trace": trace}
    if span_id:
        fields["logging.googleapis.com/spanId"] = span_id
    return fields


class UtcClock:
    """Formats times as Cloud Logging's UTC timestamps (2026-01-31T12:00:00.123Z).

    strftime costs more than the rest of an access log line; the seconds part
    changes once a second, so it is formatted once a second and reused.
    """

    def __init__(self) -> None:
        self._second: tuple[int, str] = (-1, "")

    def timestamp(self, now: float) -> str:
        second, millis = divmod(int(now * 1000), 1000)
        cached = self._second  # one tuple, replaced whole: threads never see half of it
        if cached[0] != second:
            cached = self._second = (
                second,
                time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second)),
            )
        return f"{cached[1]}.{millis:03d}Z"


# One encoder for every access log line: json.dumps with options builds a new one per call.
_encode_line = json.JSONEncoder(ensure_ascii=False).encode


def _write_line(line: str) -> None:
    """One whole line to stderr in a single write, so lines from threads and
    workers never interleave (the access log bypasses the logging module,
    which cost a third of the per-request overhead)."""
    data = line.encode("utf-8", "replace")
    while data:
        data = data[os.write(2, data) :]


def install(app: Flask, metrics: Metrics, project: str | None) -> None:
    """Request IDs in and out, one access log line and metrics per request."""
    access_enabled = logging.getLogger("kv.access").isEnabledFor(logging.INFO)
    clock = UtcClock()

    @app.before_request
    def _start() -> None:
        g.start = time.perf_counter()
        g.request_id = _request_id()

    @app.after_request
    def _finish(response: Response) -> Response:
        elapsed = time.perf_counter() - g.get("start", time.perf_counter())
        # The request behind the proxy, once: every `request.x` is a context lookup.
        req = request._get_current_object()  # type: ignore[attr-defined]
        rule = req.url_rule
        route = rule.rule if rule is not None else "unmatched"
        method = req.method if req.method in KNOWN_METHODS else "OTHER"
        status = response.status_code
        request_id = g.get("request_id", "")
        response.headers[REQUEST_ID_HEADER] = request_id
        metrics.observe(route, method, status, elapsed)
        if access_enabled or status >= 500:
            headers = req.headers
            entry: dict[str, Any] = {
                "severity": "ERROR" if status >= 500 else "INFO",
                "message": f"{method} {route} {status}",
                "logger": "kv.access",
                "time": clock.timestamp(time.time()),
                "request_id": request_id,
                "route": route,
                "duration_ms": round(elapsed * 1000, 3),
                "httpRequest": {
                    "requestMethod": method,
                    "requestUrl": req.path,
                    "status": status,
                    "latency": f"{elapsed:.6f}s",
                    "userAgent": headers.get("User-Agent", ""),
                    "remoteIp": req.remote_addr,
                },
            }
            if "traceparent" in headers or "X-Cloud-Trace-Context" in headers:
                entry.update(_trace(project))
            _write_line(_encode_line(entry) + "\n")
        return response
