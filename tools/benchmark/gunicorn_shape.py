"""The service's gunicorn shape, read from its config file by gunicorn's own loader.

`python -m tools.benchmark.gunicorn_shape CONFIG` executes CONFIG as gunicorn
does at start (same module loading, same validation of every setting) and
prints the settings that decide how requests are served, as JSON. tools/bench
runs it in a child process, with the service's environment, because executing
the service's config has side effects (environment variables, hooks) that must
not leak into the bench. The floor baseline is then started with exactly these
settings.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from gunicorn.app.base import Application  # type: ignore[import-untyped]
from gunicorn.config import Config  # type: ignore[import-untyped]

# What a server's concurrency and connection handling depend on.
SHAPE_SETTINGS = ("worker_class", "workers", "threads", "keepalive")


class _ConfigFile(Application):  # type: ignore[misc]
    def __init__(self, path: str) -> None:
        self.path = path
        super().__init__()

    def load_config(self) -> None:
        self.load_config_from_file(self.path)

    def load(self) -> None:  # the app is never loaded here
        raise NotImplementedError


def read(path: str) -> dict[str, Any]:
    """The shape settings CONFIG gives gunicorn, by setting name."""
    cfg = _ConfigFile(path).cfg
    return {name: cfg.settings[name].get() for name in SHAPE_SETTINGS}


def command_line(shape: dict[str, Any]) -> list[str]:
    """The gunicorn flags that start another app in the same shape (e.g. --threads 4)."""
    settings = Config().settings
    return [arg for name in SHAPE_SETTINGS for arg in (settings[name].cli[-1], str(shape[name]))]


if __name__ == "__main__":
    print(json.dumps(read(sys.argv[1])))
