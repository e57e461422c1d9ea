"""Bounded HTTP load against the service on loopback, recording every outcome.

A few threads loop over a small mix of calls (mostly writes of unique keys,
so every acknowledged write can be checked afterwards) until stopped. Each
outcome says whether the connection was refused (never accepted: what a
closed listener does) or failed after it was accepted (a reset: what must
never happen), and for HTTP answers the status and error code.
"""

from __future__ import annotations

import http.client
import json
import threading
import time
from collections import Counter
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Outcome:
    started: float  # time.monotonic()
    finished: float
    method: str
    path: str
    status: int | None  # None: no HTTP answer
    code: str | None = None  # error.code of a JSON error body
    failure: str | None = None  # "refused" (connect) | "reset" (after connect)
    key: str | None = None
    value: str | None = None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


@dataclass
class Load:
    """`threads` threads of requests against host:port until stop()."""

    port: int
    threads: int = 4
    # New TCP connection per request (to tell refused from reset), else keep-alive.
    fresh_connections: bool = False
    timeout_s: float = 10.0
    write_share: int = 8  # of every 10 calls; the rest are GET / and GET /list?limit=
    headers: dict[str, str] = field(default_factory=dict)
    outcomes: list[Outcome] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _workers: list[threading.Thread] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> Load:
        for number in range(self.threads):
            worker = threading.Thread(target=self._run, args=(number,), daemon=True)
            worker.start()
            self._workers.append(worker)
        return self

    def stop(self) -> list[Outcome]:
        self._stop.set()
        for worker in self._workers:
            worker.join(self.timeout_s + 5)
        return sorted(self.outcomes, key=lambda o: o.started)

    def _run(self, number: int) -> None:
        connection: http.client.HTTPConnection | None = None
        sequence = 0
        while not self._stop.is_set():
            sequence += 1
            call: tuple[str, str, str | None, str | None, str | None]
            if sequence % 10 < self.write_share:
                key, value = f"load-{number}-{sequence}", f"v{sequence}-{time.monotonic_ns()}"
                body = json.dumps({"key": key, "value": value})
                call = ("POST", "/write", body, key, value)
            elif sequence % 2:
                call = ("GET", "/", None, None, None)
            else:
                call = ("GET", "/list?limit=5", None, None, None)
            if connection is None or self.fresh_connections:
                if connection is not None:
                    connection.close()
                connection = http.client.HTTPConnection(
                    "127.0.0.1", self.port, timeout=self.timeout_s
                )
            outcome, keep = self._one(connection, *call)
            with self._lock:
                self.outcomes.append(outcome)
            if not keep:
                connection.close()
                connection = None
                if outcome.failure == "refused":
                    time.sleep(0.02)  # nothing listens: do not spin
        if connection is not None:
            connection.close()

    def _one(
        self,
        connection: http.client.HTTPConnection,
        method: str,
        path: str,
        body: str | None,
        key: str | None,
        value: str | None,
    ) -> tuple[Outcome, bool]:
        started = time.monotonic()
        headers = {**self.headers, **({"Content-Type": "application/json"} if body else {})}
        try:
            if connection.sock is None:
                connection.connect()
        except OSError:
            return Outcome(started, time.monotonic(), method, path, None, failure="refused"), False
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            payload = response.read()
        except (OSError, http.client.HTTPException) as error:
            failure = f"reset: {type(error).__name__}: {error}"
            return Outcome(started, time.monotonic(), method, path, None, failure=failure), False
        code = None
        if response.status >= 400:
            try:
                code = json.loads(payload)["code"]
            except (ValueError, KeyError, TypeError):
                code = "not-json"
        keep = not response.will_close
        return Outcome(
            started, time.monotonic(), method, path, response.status, code, None, key, value
        ), keep


@dataclass(frozen=True)
class Summary:
    """What a run under a disruption looked like, for assertions and reports."""

    total: int
    by_status: dict[str, int]
    first_failure: float | None  # seconds after the disruption
    last_failure: float | None
    recovered_after: float | None  # the failure window: disruption to the last failure

    def line(self) -> str:
        window = "none" if self.recovered_after is None else f"{self.recovered_after:.2f}s"
        return f"{self.total} requests, by status {self.by_status}, failure window {window}"


def summarize(outcomes: list[Outcome], disrupted_at: float) -> Summary:
    by_status = Counter(
        str(o.status) + (f" {o.code}" if o.code else "") if o.status else str(o.failure)
        for o in outcomes
    )
    failures = [o for o in outcomes if not o.ok]
    first = min((o.started for o in failures), default=None)
    last = max((o.finished for o in failures), default=None)
    return Summary(
        total=len(outcomes),
        by_status=dict(sorted(by_status.items())),
        first_failure=None if first is None else first - disrupted_at,
        last_failure=None if last is None else last - disrupted_at,
        recovered_after=None if last is None else max(last - disrupted_at, 0.0),
    )
