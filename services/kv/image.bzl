"""The image's runtime contract: the one definition of how the kv image runs.

Read by services/kv/BUILD.bazel (load) and by Python through
tools/testkit/image.py, which parses this file with the ast module. So every
value here is a plain literal: no expressions, no functions, no loads.

Layout of the image's root filesystem (distroless cc base, three layers):

    /opt/python/                 hermetic CPython from rules_python's toolchain
        bin/python3              the interpreter the entrypoint execs
        lib/python3.11/          its standard library
    /opt/kv/site-packages/       third-party wheels from services/kv/requirements.lock
    /opt/kv/app/                 the service: gunicorn.conf.py and the kv package
        kv/                      (kv/wsgi.py holds the WSGI app, kv/openapi.yaml)

Nothing is written at run time except /tmp (an emptyDir in the chart) and
gunicorn's worker heartbeat files in /dev/shm (gunicorn.conf.py), so the root
filesystem can be mounted read-only.
"""

# In-image paths (see the layout above).
PYTHON_HOME = "/opt/python"
PYTHON_INTERPRETER = "/opt/python/bin/python3"
SITE_PACKAGES = "/opt/kv/site-packages"
APP_DIR = "/opt/kv/app"

# distroless has no shell: the entrypoint execs the interpreter directly.
ENTRYPOINT = [
    "/opt/python/bin/python3",
    "-m",
    "gunicorn",
    "--config",
    "/opt/kv/app/gunicorn.conf.py",
    "kv.wsgi:app",
]

# Numeric uid:gid (distroless "nonroot"), so Kubernetes can verify runAsNonRoot.
USER = "65532:65532"

WORKDIR = "/opt/kv/app"

ENV = {
    # The app first, then its dependencies; the interpreter finds its own
    # standard library relative to /opt/python/bin/python3.
    "PYTHONPATH": "/opt/kv/app:/opt/kv/site-packages",
    # The root filesystem is read-only: never try to write .pyc files.
    "PYTHONDONTWRITEBYTECODE": "1",
    # Log lines reach the container runtime as they are written.
    "PYTHONUNBUFFERED": "1",
    "LANG": "C.UTF-8",
}

EXPOSED_PORT = 8080

# OCI labels. They are fixed, so the image digest is the same stamped or
# not; a release names its commit in the pushed tag instead.
SOURCE_URL = "https://github.com/example-org/kv-platform"
CREATED = "1970-01-01T00:00:00Z"
