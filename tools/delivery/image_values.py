"""The GitOps image values file that pins what Argo CD deploys.

deploy/environments/<env>/image.yaml is machine-owned: tools/promote writes
it whole, always in exactly this form (the chart reads .Values.image):

    # Written by tools/promote (the release step): do not edit by hand.
    image:
      repository: us-central1-docker.pkg.dev/example-kv-prod/kv/kv
      digest: sha256:<64 lowercase hex>

A file in any other form was edited by hand and is refused, so promote never
has to merge its edit into someone else's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Artifact Registry Docker address, without tag or digest:
# LOCATION-docker.pkg.dev/PROJECT/REPOSITORY/IMAGE[/PATH...].
_REPOSITORY = re.compile(
    r"""
    [a-z]+(?:-[a-z]+)*[0-9]*-docker\.pkg\.dev       # us-central1, europe-west4, us (multi-region)
    /[a-z][a-z0-9-]{4,28}[a-z0-9]                   # project id
    /[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?              # repository id
    /[a-z0-9]+(?:[._-][a-z0-9]+)*(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*  # image name
    """,
    re.VERBOSE,
)
_DIGEST = re.compile(r"sha256:[0-9a-f]{64}")

REPOSITORY_EXAMPLE = "us-central1-docker.pkg.dev/example-kv-prod/kv/kv"
HEADER = "# Written by tools/promote (the release step): do not edit by hand.\n"
# The one layout: render() writes it, parse() reads only it. An empty digest
# ("") is the state before the first promotion.
_TEMPLATE = HEADER + "image:\n  repository: {repository}\n  digest: {digest}\n"
_LAYOUT = re.compile(
    re.escape(HEADER) + r"image:\n  repository: (?P<repository>\S+)\n"
    r"  digest: (?P<digest>sha256:[0-9a-f]{64}|\"\")\n"
)


class InvalidImageError(ValueError):
    """A repository or digest that must not reach the cluster."""


class InvalidValuesFileError(ValueError):
    """A values file that tools/promote did not write."""


def validate_repository(repository: str) -> str:
    if not _REPOSITORY.fullmatch(repository):
        raise InvalidImageError(
            f"invalid image repository {repository!r}: expected an Artifact Registry address "
            f"LOCATION-docker.pkg.dev/PROJECT/REPOSITORY/IMAGE without tag or digest, "
            f"e.g. {REPOSITORY_EXAMPLE}"
        )
    return repository


def validate_digest(digest: str) -> str:
    if not _DIGEST.fullmatch(digest):
        raise InvalidImageError(
            f"invalid image digest {digest!r}: expected 'sha256:' and 64 lowercase hex characters"
        )
    return digest


@dataclass(frozen=True)
class ImageRef:
    """An image pinned by digest; construction validates both parts."""

    repository: str
    digest: str

    def __post_init__(self) -> None:
        validate_repository(self.repository)
        validate_digest(self.digest)

    def __str__(self) -> str:
        return f"{self.repository}@{self.digest}"


@dataclass(frozen=True)
class ValuesFile:
    """What a values file pins; digest is "" before the first promotion."""

    repository: str
    digest: str

    def pins(self, image: ImageRef) -> bool:
        return self.repository == image.repository and self.digest == image.digest


def render(image: ImageRef) -> str:
    """The whole values file pinning `image`."""
    return _TEMPLATE.format(repository=image.repository, digest=image.digest)


def parse(text: str, name: str = "values file") -> ValuesFile:
    """What `text` pins; refuses anything render() would not have written."""
    match = _LAYOUT.fullmatch(text)
    if not match:
        raise InvalidValuesFileError(
            f"{name} is not in the form tools/promote writes: a header line, then "
            f"'image:' with exactly 'repository' and 'digest' (the file is machine-owned)"
        )
    digest = "" if match["digest"] == '""' else match["digest"]
    return ValuesFile(validate_repository(match["repository"]), digest)
