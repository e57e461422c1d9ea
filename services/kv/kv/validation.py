"""Turns untrusted request input into validated values, or raises ApiError.

Nothing that fails here reaches Redis.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any, NoReturn

from kv.config import Config
from kv.errors import (
    InvalidField,
    InvalidJson,
    InvalidParameter,
    PayloadTooLarge,
    UnsupportedMediaType,
)

WRITE_FIELDS = ("key", "value")


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


def parse_json_object(body: bytes) -> dict[str, Any]:
    try:
        text = body.decode("utf-8")
        document = json.loads(
            text, object_pairs_hook=_unique_object, parse_constant=_reject_constant
        )
    except UnicodeDecodeError as error:
        raise InvalidJson("request body is not valid UTF-8") from error
    except RecursionError as error:
        raise InvalidJson("request body nests too deeply") from error
    except ValueError as error:
        raise InvalidJson(f"request body is not valid JSON: {error}") from error
    if not isinstance(document, dict):
        raise InvalidJson('request body must be a JSON object like {"key": "...", "value": "..."}')
    return document


def utf8_size(text: str, field: str) -> int:
    try:
        return len(text.encode("utf-8"))
    except UnicodeEncodeError as error:  # lone surrogates such as "\ud800"
        raise InvalidField(
            f"{field} contains an unpaired surrogate and is not valid Unicode"
        ) from error


def check_key(key: Any, config: Config, field: str = "key") -> str:
    if not isinstance(key, str):
        raise InvalidField(f"{field} must be a string")
    size = utf8_size(key, field)
    if size == 0:
        raise InvalidField(f"{field} must not be empty")
    if size > config.max_key_bytes:
        raise InvalidField(f"{field} is {size} bytes; the limit is {config.max_key_bytes} bytes")
    return key


def check_value(value: Any, config: Config) -> str:
    if not isinstance(value, str):
        raise InvalidField("value must be a string")
    size = utf8_size(value, "value")
    if size > config.max_value_bytes:
        raise PayloadTooLarge(f"value is {size} bytes; the limit is {config.max_value_bytes} bytes")
    return value


def parse_write(content_type: str | None, body: bytes, config: Config) -> tuple[str, str]:
    """The (key, value) of a POST /write body."""
    if not is_json_media_type(content_type):
        raise UnsupportedMediaType(
            f"Content-Type must be application/json, got {content_type or 'none'!r}"
        )
    document = parse_json_object(body)
    unknown = sorted(set(document) - set(WRITE_FIELDS))
    if unknown:
        raise InvalidField(f"unknown field(s): {', '.join(unknown)}; allowed: key, value")
    missing = [name for name in WRITE_FIELDS if name not in document]
    if missing:
        raise InvalidField(f"missing field(s): {', '.join(missing)}")
    return check_key(document["key"], config), check_value(document["value"], config)


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
