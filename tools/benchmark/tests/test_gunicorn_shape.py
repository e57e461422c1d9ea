"""The floor's gunicorn shape is the service's, as gunicorn itself reads the
service's gunicorn.conf.py: environment overrides carry over, bad values stop
the bench with the service's own message, and the flags it is started with
parse back to the same settings."""

from __future__ import annotations

from pathlib import Path

import pytest
from gunicorn.config import Config  # type: ignore[import-untyped]

from tools.benchmark import gunicorn_shape
from tools.benchmark.servers import Options, service_shape


def test_shape_follows_the_service_environment(tmp_path: Path) -> None:
    default = service_shape(tmp_path, Options())
    tuned = service_shape(
        tmp_path, Options(env=(("GUNICORN_WORKERS", "3"), ("GUNICORN_THREADS", "5")))
    )
    assert default["worker_class"] == tuned["worker_class"] == "gthread"
    assert (tuned["workers"], tuned["threads"]) == (3, 5)
    assert (default["workers"], default["threads"]) != (3, 5)


def test_a_bad_service_setting_stops_the_bench_with_its_message(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="GUNICORN_THREADS"):
        service_shape(tmp_path, Options(env=(("GUNICORN_THREADS", "many"),)))


def test_the_flags_parse_back_to_the_same_settings(tmp_path: Path) -> None:
    shape = service_shape(tmp_path, Options(env=(("GUNICORN_THREADS", "6"),)))
    cfg = Config()
    args = cfg.parser().parse_args([*gunicorn_shape.command_line(shape), "app:app"])
    for name in gunicorn_shape.SHAPE_SETTINGS:
        cfg.set(name, getattr(args, name))
    assert {name: cfg.settings[name].get() for name in gunicorn_shape.SHAPE_SETTINGS} == shape
