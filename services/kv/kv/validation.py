"""Turns untrusted request input into validated values, or raises ApiError.

Nothing that fails here reaches Redis.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, NoReturn

from kv.errors import (
    InvalidField,
    InvalidJson,
    InvalidParameter,
    MissingField,
    PayloadTooLarge,
    UnsupportedMediaType,
)

WRITE_FIELDS = ("key", "value")
# The upstream app's words for a write without both fields (its clients may match them).
BOTH_REQUIRED = 'Both "key" and "value" are required'
KEY_REQUIRED = "Key parameter is required"


@dataclass(frozen=True)
class Limits:
    """The sizes input is checked against (KV_MAX_KEY_BYTES, KV_MAX_VALUE_BYTES)."""

    max_key_bytes: int
    max_value_bytes: int


def _reject_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not valid JSON")


def _unique_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for name, value in pairs:
        if name in result:
            raise ValueError(f"duplicate field {name!r}")
        result[name] = value
    return result


def is_json_media_type(content_type: str | None) -> bool:
    media = (content_type or "").split(";", 1)[0].strip().lower()
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


# Built once: json.loads with options builds a decoder (and its scanner) per call.
_DECODER = json.JSONDecoder(object_pairs_hook=_unique_object, parse_constant=_reject_constant)


def parse_json(body: bytes) -> Any:
    try:
        text = body.decode("utf-8")
        document = _DECODER.decode(text)
    except UnicodeDecodeError as error:
        raise InvalidJson("request body is not valid UTF-8") from error
    except RecursionError as error:
        raise InvalidJson("request body nests too deeply") from error
    except ValueError as error:
        raise InvalidJson(f"request body is not valid JSON: {error}") from error
    return document


def utf8_size(text: str, field: str) -> int:
    try:
        return len(text.encode("utf-8"))
    except UnicodeEncodeError as error:  # lone surrogates such as "\ud800"
        raise InvalidField(
            f"{field} contains an unpaired surrogate and is not valid Unicode"
        ) from error


def check_key(key: Any, limits: Limits, field: str = "key") -> str:
    if not isinstance(key, str):
        raise InvalidField(f"{field} must be a string")
    size = utf8_size(key, field)
    if size > limits.max_key_bytes:
        raise InvalidField(f"{field} is {size} bytes; the limit is {limits.max_key_bytes} bytes")
    return key


def check_value(value: Any, limits: Limits) -> str:
    if not isinstance(value, str):
        raise InvalidField("value must be a string")
    size = utf8_size(value, "value")
    if size > limits.max_value_bytes:
        raise PayloadTooLarge(f"value is {size} bytes; the limit is {limits.max_value_bytes} bytes")
    return value


def parse_write(content_type: str | None, body: bytes, limits: Limits) -> tuple[str, str] | None:
    """The (key, value) of a POST /write body; None for no payload (`{}`, `null`),
    which, as upstream, asks for a random pair."""
    if not is_json_media_type(content_type):
        raise UnsupportedMediaType(
            f"Content-Type must be application/json, got {content_type or 'none'!r}"
        )
    document = parse_json(body)
    if document is None or document == {}:
        return None
    if not isinstance(document, dict):
        raise InvalidJson('request body must be a JSON object like {"key": "...", "value": "..."}')
    unknown = sorted(set(document) - set(WRITE_FIELDS))
    if unknown:
        raise InvalidField(f"unknown field(s): {', '.join(unknown)}; allowed: key, value")
    if any(document.get(name) in (None, "") for name in WRITE_FIELDS):
        raise MissingField(BOTH_REQUIRED)
    return check_key(document["key"], limits), check_value(document["value"], limits)


def only_parameters(args: Mapping[str, Any], allowed: Iterable[str]) -> None:
    unknown = sorted(set(args) - set(allowed))
    if unknown:
        raise InvalidParameter(f"unknown query parameter(s): {', '.join(unknown)}")


def single_parameter(args: Any, name: str) -> str | None:
    values = args.getlist(name)
    if len(values) > 1:
        raise InvalidParameter(f"query parameter {name!r} given more than once")
    return values[0] if values else None


def int_parameter(args: Any, name: str, default: int, low: int, high: int) -> int:
    raw = single_parameter(args, name)
    if raw is None:
        return default
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 9 and low <= int(raw) <= high):
        raise InvalidParameter(f"{name} must be an integer from {low} to {high}, got {raw!r}")
    return int(raw)
