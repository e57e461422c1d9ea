"""What the views of one app share: its configuration, store, metrics and
tokens, kept in `app.extensions["kv"]` by create_app."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from flask import current_app

if TYPE_CHECKING:
    from kv.auth import TokenFile
    from kv.config import Config
    from kv.observability import Metrics
    from kv.store import Store
    from kv.validation import Limits


@dataclass
class Service:
    config: Config
    limits: Limits
    store: Store
    metrics: Metrics
    tokens: TokenFile | None
    # When GET / last saw Redis answer (per worker; see kv.api.index).
    last_reachable: float = field(default=float("-inf"))


def service() -> Service:
    """The Service of the app handling the current request."""
    kv: Service = current_app.extensions["kv"]
    return kv
