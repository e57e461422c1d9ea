"""The JSON access log, in process: trace headers from clients are untrusted input."""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from kv import Config, create_app
from kv.observability import UtcClock

TRACE_ID = "0123456789abcdef0123456789abcdef"


@pytest.fixture
def logged(caplog: pytest.LogCaptureFixture) -> None:
    # The access log is switched on when the app is built with kv.access at INFO.
    caplog.set_level(logging.INFO, logger="kv.access")


def access_entry(capfd: pytest.CaptureFixture[str], request_id: str) -> dict[str, Any]:
    for line in capfd.readouterr().err.splitlines():
        if request_id in line:
            entry: dict[str, Any] = json.loads(line)
            return entry
    raise AssertionError(f"no access log line for {request_id}")


@pytest.mark.parametrize(
    "span",
    [
        "9" * 5000,  # once a 500 on every route: int() refuses more than 4300 digits
        "18446744073709551616",  # 2**64: not a 64-bit span id
        "99999999999999999999999999999999",
    ],
)
def test_an_impossible_cloud_trace_span_is_ignored_not_a_500(
    logged: None, capfd: pytest.CaptureFixture[str], span: str
) -> None:
    client = create_app(Config()).test_client()
    response = client.get(
        "/healthz",
        headers={"X-Request-ID": "span-test", "X-Cloud-Trace-Context": f"{TRACE_ID}/{span};o=1"},
    )
    assert response.status_code == 200, response.get_data()
    entry = access_entry(capfd, "span-test")
    assert entry["logging.googleapis.com/trace"] == TRACE_ID
    assert "logging.googleapis.com/spanId" not in entry


def test_the_largest_cloud_trace_span_is_sixteen_hex_digits(
    logged: None, capfd: pytest.CaptureFixture[str]
) -> None:
    client = create_app(Config()).test_client()
    header = f"{TRACE_ID}/{2**64 - 1};o=1"
    client.get("/healthz", headers={"X-Request-ID": "span-max", "X-Cloud-Trace-Context": header})
    assert access_entry(capfd, "span-max")["logging.googleapis.com/spanId"] == "f" * 16


def test_access_log_time_is_the_utc_time_of_the_request_in_milliseconds(
    logged: None, capfd: pytest.CaptureFixture[str]
) -> None:
    client = create_app(Config()).test_client()
    before = datetime.now(UTC)
    client.get("/healthz", headers={"X-Request-ID": "time-test"})
    after = datetime.now(UTC)
    stamp = access_entry(capfd, "time-test")["time"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", stamp), stamp
    logged_at = datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%f%z")
    assert before - timedelta(milliseconds=1) <= logged_at <= after


@pytest.mark.parametrize(
    "times",
    [
        [1_700_000_000.999, 1_700_000_001.0],  # the second turns between two lines
        [1_700_000_001.0, 1_700_000_000.5],  # a thread that read the clock earlier logs later
        [1_700_000_000.9999999, 1_700_000_000.25],  # rounds into the next second's millisecond
        [86_399.999, 86_400.001, 0.0],  # midnight, and the epoch
    ],
)
def test_timestamps_formatted_once_a_second_match_a_fresh_format(times: list[float]) -> None:
    clock = UtcClock()
    for now in times:
        millis = int(now * 1000)
        fresh = datetime.fromtimestamp(millis // 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S")
        assert clock.timestamp(now) == f"{fresh}.{millis % 1000:03d}Z"
