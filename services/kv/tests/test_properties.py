"""Property tests (Hypothesis): write, list and delete round-trip any keys and
values the contract allows (any Unicode, control characters, exactly the
size limits, keys that look like Redis glob patterns or hash tags), in both
backends; anything over a limit is refused and stores nothing."""

from __future__ import annotations

from typing import Any

import redis
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from kv import Config
from tests.kit.kvapi import Api, list_pages, merged, stored

KEY_LIMIT = 48  # bytes of UTF-8; small limits make "exactly at the limit" cheap to hit
VALUE_LIMIT = 200

PROPERTY_SETTINGS = settings(
    max_examples=40,
    deadline=None,
    database=None,  # nothing written into the repository
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Any Unicode scalar value: control characters, NUL, astral planes; no lone
# surrogates, which JSON can carry but UTF-8 (and the contract) cannot.
unicode_text = st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=40)


def exactly(limit: int) -> Any:
    """Text of exactly `limit` UTF-8 bytes: a random prefix padded with ASCII."""

    def pad(text: str) -> str:
        while len(text.encode()) > limit:
            text = text[:-1]
        return text + "x" * (limit - len(text.encode()))

    return unicode_text.map(pad)


pattern_keys = st.sampled_from(
    ["*", "?", "[a]", "[^a]", "[a-z]*", "a*b?c", "\\", "\\*", "{tag}", "{}", "h{a}llo", "[", "]",
     "\x00", " ", "\n", "key\r\n", "..", "/", "%2A"]
)  # fmt: skip
keys = st.one_of(
    pattern_keys,
    unicode_text.filter(lambda k: 1 <= len(k.encode()) <= KEY_LIMIT),
    exactly(KEY_LIMIT),
)
# Empty values are refused, as upstream (test_bad_input).
values = st.one_of(unicode_text.filter(bool), exactly(VALUE_LIMIT))


def limited(api_factory: Any, config: Config) -> Api:
    api: Api = api_factory(
        config.replace(max_key_bytes=KEY_LIMIT, max_value_bytes=VALUE_LIMIT, list_batch=3)
    )
    return api


def clear(raw: Any, prefix: str) -> None:
    keys_now = list(raw.scan_iter(match=prefix.replace("*", r"\*") + "*"))
    if keys_now:
        raw.delete(*keys_now)


@PROPERTY_SETTINGS
@given(pairs=st.dictionaries(keys, values, max_size=8))
def test_write_list_delete_round_trip(
    make_api: Any, config: Config, raw: redis.Redis, prefix: str, pairs: dict[str, str]
) -> None:
    clear(raw, prefix)
    api = limited(make_api, config)
    for key, value in pairs.items():
        response = api.post("/write", json={"key": key, "value": value})
        assert response.status_code == 200, response.get_data()
        assert response.json == {"message": "Key-Value pair added", "key": key, "value": value}
    assert api.get("/list").json == pairs
    assert stored(raw, prefix) == pairs

    assert merged(list_pages(api, limit=2)) == pairs

    for key in pairs:
        assert api.delete("/delete", query_string={"key": key}).status_code == 200
        assert api.delete("/delete", query_string={"key": key}).status_code == 404
    assert api.get("/list").json == {}


@PROPERTY_SETTINGS
@given(key=keys, value=values, extra_key=unicode_text, extra_value=unicode_text)
def test_anything_over_a_limit_is_refused_and_stores_nothing(
    make_api: Any,
    config: Config,
    raw: redis.Redis,
    prefix: str,
    key: str,
    value: str,
    extra_key: str,
    extra_value: str,
) -> None:
    clear(raw, prefix)
    api = limited(make_api, config)
    long_key = key + "k" * (KEY_LIMIT + 1 - len(key.encode())) + extra_key
    long_value = value + "v" * (VALUE_LIMIT + 1 - len(value.encode())) + extra_value
    assert api.post("/write", json={"key": long_key, "value": value}).status_code == 400
    assert api.post("/write", json={"key": key, "value": long_value}).status_code == 413
    assert api.delete("/delete", query_string={"key": long_key}).status_code == 400
    assert stored(raw, prefix) == {}


# Query strings are as untrusted as bodies: any text in any parameter gets an
# answer from the document (the Api client fails on a 500 or a shape it does
# not allow), and nothing is written or deleted by a refused call.
any_text = st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=30)
# Number-like text, where parsers disagree: "²" is a digit to str.isdigit()
# but not to int(); "١٢" is a number to int() but not a cursor we hand out.
numberish = st.text(
    alphabet=st.one_of(
        st.sampled_from("0123456789.-+ _\u00b2\u00b3\u2460\u0661\u0662\u06f3"),
        st.characters(categories=["Nd", "No", "Nl"]),
    ),
    min_size=1,
    max_size=6,
)
untrusted = st.one_of(numberish, any_text)


@PROPERTY_SETTINGS
@given(cursor=untrusted, limit=st.one_of(st.none(), untrusted))
@example(cursor="\u00b2", limit=None)  # once answered 500: int() refuses what isdigit() accepts
def test_list_answers_any_cursor_and_limit_without_a_server_error(
    make_api: Any, config: Config, cursor: str, limit: str | None
) -> None:
    api = limited(make_api, config)
    query = {"cursor": cursor} if limit is None else {"cursor": cursor, "limit": limit}
    assert api.get("/list", query_string=query).status_code in (200, 400)


@PROPERTY_SETTINGS
@given(count=untrusted, key=untrusted)
def test_write_count_and_delete_key_answer_any_text_without_a_server_error(
    make_api: Any, config: Config, raw: redis.Redis, prefix: str, count: str, key: str
) -> None:
    api = limited(make_api, config)
    before = stored(raw, prefix)
    response = api.post("/write", query_string={"count": count})
    if response.status_code == 400:
        assert stored(raw, prefix) == before
    assert api.delete("/delete", query_string={"key": key}).status_code in (200, 400, 404)
