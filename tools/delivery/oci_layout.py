"""A byte-reproducible OCI image layout of the service's own files, without Bazel.

This is the local rehearsal's stand-in for `bazel build //services/kv:image`:
a real OCI layout (oci-layout, index.json, blobs/sha256/...) whose single
layer holds services/kv (the package and gunicorn.conf.py) under /app, with
the production runtime settings in its config. It has no base image and no
interpreter, so it does not run; what it shares with the real image is the
property the delivery flow relies on: the digest is a pure function of the
source (sorted entries, zero timestamps and owners, fixed modes, gzip
without a timestamp), so the same tree always yields the same digest.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
from dataclasses import dataclass
from pathlib import Path

_APP_FILES = ("kv/**/*.py", "kv/**/*.yaml", "gunicorn.conf.py")
_RUNTIME_UID = 65532


@dataclass(frozen=True)
class Blob:
    media_type: str
    data: bytes

    @property
    def digest(self) -> str:
        return "sha256:" + hashlib.sha256(self.data).hexdigest()

    def descriptor(self) -> dict[str, object]:
        return {"mediaType": self.media_type, "digest": self.digest, "size": len(self.data)}


def _canonical_json(value: object) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":")).encode()


def app_files(service_dir: Path) -> list[Path]:
    """The service files that go into the image, in a stable order."""
    found = {p for pattern in _APP_FILES for p in service_dir.glob(pattern) if p.is_file()}
    return sorted((p for p in found if "__pycache__" not in p.parts), key=lambda p: p.as_posix())


def _layer_tar(service_dir: Path) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        directories: set[str] = set()
        for path in app_files(service_dir):
            name = "app/" + path.relative_to(service_dir).as_posix()
            parents = name.split("/")[:-1]
            for depth in range(1, len(parents) + 1):
                directory = "/".join(parents[:depth])
                if directory not in directories:
                    directories.add(directory)
                    entry = tarfile.TarInfo(directory)
                    entry.type, entry.mode, entry.mtime = tarfile.DIRTYPE, 0o755, 0
                    tar.addfile(entry)
            data = path.read_bytes()
            entry = tarfile.TarInfo(name)
            entry.size, entry.mode, entry.mtime = len(data), 0o444, 0
            tar.addfile(entry, io.BytesIO(data))
    return buffer.getvalue()


def build(service_dir: Path, out: Path) -> str:
    """Writes the layout to `out` and returns the image manifest digest."""
    tar = _layer_tar(service_dir)
    layer = Blob(
        "application/vnd.oci.image.layer.v1.tar+gzip",
        gzip.compress(tar, compresslevel=9, mtime=0),
    )
    config = Blob(
        "application/vnd.oci.image.config.v1+json",
        _canonical_json({
            "architecture": "amd64",
            "os": "linux",
            "config": {
                "User": f"{_RUNTIME_UID}:{_RUNTIME_UID}",
                "WorkingDir": "/app",
                "Env": ["PYTHONPATH=/app", "PORT=8080"],
                "Entrypoint": ["gunicorn", "--config", "/app/gunicorn.conf.py", "kv.wsgi:app"],
                "ExposedPorts": {"8080/tcp": {}},
            },
            "rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(tar).hexdigest()]},
        }),
    )  # fmt: skip
    manifest = Blob(
        "application/vnd.oci.image.manifest.v1+json",
        _canonical_json({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": config.descriptor(),
            "layers": [layer.descriptor()],
            "annotations": {"org.opencontainers.image.title": "kv (local rehearsal: app layer only)"},
        }),
    )  # fmt: skip
    blobs = out / "blobs" / "sha256"
    blobs.mkdir(parents=True, exist_ok=True)
    for blob in (layer, config, manifest):
        (blobs / blob.digest.removeprefix("sha256:")).write_bytes(blob.data)
    (out / "oci-layout").write_bytes(_canonical_json({"imageLayoutVersion": "1.0.0"}))
    (out / "index.json").write_bytes(
        _canonical_json({"schemaVersion": 2, "manifests": [manifest.descriptor()]})
    )
    return manifest.digest
