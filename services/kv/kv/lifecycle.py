"""Graceful shutdown: the "draining" state shared by the gunicorn master and
its workers.

On SIGTERM the master (gunicorn.conf.py) sets the flag, keeps serving for
KV_SHUTDOWN_DRAIN_S while /readyz answers 503 and keep-alive connections are
closed after their next response, and only then closes the listener and
lets the workers finish in-flight requests. That gives the load balancer
time to stop sending new connections before any would be refused.

The flag is one byte of anonymous shared memory: created when this module
is first imported (in the master, by gunicorn.conf.py), inherited by every
worker forked afterwards, and written by the master alone.
"""

from __future__ import annotations

import mmap


class DrainFlag:
    """A process-group-wide boolean, set once and never cleared."""

    def __init__(self) -> None:
        self._byte = mmap.mmap(-1, 1)  # MAP_SHARED | MAP_ANONYMOUS: shared across fork

    def start(self) -> None:
        self._byte[0] = 1

    def is_set(self) -> bool:
        return self._byte[0] == 1


# The one flag of this process group (see the module docstring).
DRAINING = DrainFlag()
