"""The GitOps image values file that pins what Argo CD deploys.

deploy/environments/<env>/image.yaml has exactly this shape (the chart reads
.Values.image.repository and .Values.image.digest):

    # comment lines, kept as they are
    image:
      repository: us-central1-docker.pkg.dev/example-kv-prod/kv/kv
      digest: sha256:<64 lowercase hex>

The file is machine-owned, so it is edited as lines, never round-tripped
through a YAML library: comments, blank lines and line endings survive a
promotion untouched, and the diff of a promote commit is exactly one or two
lines. `render` and `set_image` share the one formatter of the scalar lines,
so a freshly rendered file and a promoted one cannot drift apart.
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

RENDERED_HEADER = (
    "# The image Argo CD deploys: rewritten by tools/promote (never by hand).\n"
    "# Roll back with `git revert` of the promote commit.\n"
)

_KEYS = ("repository", "digest")
_INDENT = "  "
_TOP_LEVEL = re.compile(r"(?P<key>[^\s#:][^:#]*):[ \t]*(?:#.*)?")
_SCALAR = re.compile(
    r"""
    (?P<indent>[ \t]+)(?P<key>[^\s#:][^:#]*):
    (?:[ \t]+(?P<value>"[^"]*"|'[^']*'|[^\s#"'][^\s#]*))?
    (?P<trailer>[ \t]*(?:\#.*)?)
    """,
    re.VERBOSE,
)


class InvalidImageError(ValueError):
    """A repository or digest that must not reach the cluster."""


class InvalidValuesFileError(ValueError):
    """A values file whose layout is not the one this module owns."""


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
    """A parsed values file: its lines and where the two pinned scalars are."""

    lines: tuple[str, ...]
    rows: dict[str, int]  # key -> index in lines
    values: dict[str, str]  # key -> current (unquoted) value, "" when unset

    @property
    def repository(self) -> str:
        return self.values["repository"]

    @property
    def digest(self) -> str:
        return self.values["digest"]

    def pins(self, image: ImageRef) -> bool:
        return self.repository == image.repository and self.digest == image.digest


def _unquote(value: str | None) -> str:
    if value and value[0] in "\"'":
        return value[1:-1]
    return value or ""


def _is_blank_or_comment(line: str) -> bool:
    stripped = line.strip()
    return not stripped or stripped.startswith("#")


def parse(text: str, name: str = "values file") -> ValuesFile:
    """Finds the `image.repository` and `image.digest` lines; refuses any other layout."""
    lines = tuple(text.splitlines(keepends=True))
    rows: dict[str, int] = {}
    values: dict[str, str] = {}
    in_image = False
    for number, line in enumerate(lines):
        body = line.rstrip("\r\n")
        if _is_blank_or_comment(body):
            continue
        if not body[0].isspace():
            top = _TOP_LEVEL.fullmatch(body)
            if not top or top["key"].strip() != "image" or in_image:
                raise InvalidValuesFileError(
                    f"{name}:{number + 1}: expected a single top-level 'image:' mapping, "
                    f"found {body!r}"
                )
            in_image = True
            continue
        scalar = _SCALAR.fullmatch(body)
        if not in_image or not scalar or scalar["indent"] != _INDENT:
            raise InvalidValuesFileError(
                f"{name}:{number + 1}: expected '{_INDENT}repository: ...' or "
                f"'{_INDENT}digest: ...' under 'image:', found {body!r}"
            )
        key = scalar["key"].strip()
        if key not in _KEYS or key in rows:
            raise InvalidValuesFileError(
                f"{name}:{number + 1}: unexpected or repeated key {key!r} under 'image:' "
                f"(allowed once each: {', '.join(_KEYS)})"
            )
        rows[key] = number
        values[key] = _unquote(scalar["value"])
    missing = [key for key in _KEYS if key not in rows]
    if missing:
        raise InvalidValuesFileError(f"{name}: missing image.{' and image.'.join(missing)}")
    return ValuesFile(lines=lines, rows=rows, values=values)


def _scalar_line(key: str, value: str) -> str:
    """The one formatter of a pinned scalar (validated values need no quoting)."""
    return f"{_INDENT}{key}: {value}"


def _pinned_lines(image: ImageRef) -> dict[str, str]:
    return {
        "repository": _scalar_line("repository", image.repository),
        "digest": _scalar_line("digest", image.digest),
    }


def render(image: ImageRef, header: str = RENDERED_HEADER) -> str:
    """A fresh values file pinning `image`."""
    pinned = _pinned_lines(image)
    return header + "image:\n" + "".join(pinned[key] + "\n" for key in _KEYS)


def set_image(text: str, image: ImageRef, name: str = "values file") -> str:
    """`text` with the two pinned scalar lines rewritten and every other byte kept."""
    current = parse(text, name)
    lines = list(current.lines)
    for key, new in _pinned_lines(image).items():
        row = current.rows[key]
        old = lines[row]
        body = old.rstrip("\r\n")
        ending = old[len(body) :]
        match = _SCALAR.fullmatch(body)
        assert match is not None  # parse() accepted this line
        lines[row] = new + match["trailer"] + ending
    result = "".join(lines)
    if not parse(result, name).pins(image):  # the edit must read back as intended
        raise InvalidValuesFileError(f"{name}: rewritten file does not pin {image}")
    return result
