"""``errors``: redaction of keys (any case, fragments), lone-surrogate escaping, the ``Secret`` string."""

from __future__ import annotations

import json

import pytest

from dodo_contract.errors import FRAGMENT_LENGTH, REDACTED, Secret, escape_surrogates, redact

KEY = "sk_test_LEAKCANARY_7f3a9c2e51d04b68"


def fragments(key: str) -> list[str]:
    n = min(len(key), FRAGMENT_LENGTH)
    return [key[i : i + n] for i in range(len(key) - n + 1)]


def leaks(text: str, key: str = KEY) -> list[str]:
    """Every 12-character fragment of the key found in ``text``, in any case."""
    low = text.lower()
    return [f for f in fragments(key) if f.lower() in low]


@pytest.mark.parametrize(
    "text",
    [
        f"Bearer {KEY}",
        f"Bearer {KEY.upper()}",
        f"Bearer {KEY.lower()}",
        f"Bearer {KEY.swapcase()}",
        f"cut here: {KEY[:-1]}",  # 36 of 37 characters (a truncation that came before redaction)
        f"tail {KEY[1:]}",
        f"middle {KEY[5:20]}!",
        f"{KEY[:12]}{KEY[:12]}",  # adjacent fragments
        f"x-{KEY}".replace("_", "_"),
        json.dumps({"k": KEY}),
    ],
)
def test_redact_removes_the_key_in_any_case_and_every_fragment(text: str) -> None:
    out = redact(text, [KEY])
    assert leaks(out) == []
    assert REDACTED in out


def test_redact_keeps_what_is_not_the_key() -> None:
    assert redact(f"before {KEY[:11]} after", [KEY]) == f"before {KEY[:11]} after"  # 11 < 12: not a fragment
    assert redact("nothing here", [KEY]) == "nothing here"
    assert redact(f"a {KEY} b {KEY} c", [KEY]) == f"a {REDACTED} b {REDACTED} c"
    assert redact(f"x{KEY}{KEY}y", [KEY]) == f"x{REDACTED}y"  # one longest match
    assert redact("abc", ["ab"]) == "abc"  # secrets under 4 characters are ignored
    assert redact("", [KEY]) == ""


def test_a_short_key_is_redacted_whole_in_any_case() -> None:
    assert redact("the key is AbCdEfGh, right", ["abcdefgh"]) == f"the key is {REDACTED}, right"
    assert redact("abcdef", ["abcdefgh"]) == "abcdef"
    # The auth probe sends a prefix of the key (all but one character of so short a key): never shown either.
    assert redact("abcdefg", ["abcdefgh"]) == REDACTED


def test_a_key_with_json_special_characters_is_found_in_its_escaped_spelling() -> None:
    key = 'sk"test\\0123456789'
    assert key not in json.dumps({"a": key})
    assert leaks(redact(json.dumps({"a": key}), [key]), key) == []


def test_length_changing_case_folds_keep_positions() -> None:
    # "İ".lower() is two characters: the fold must not shift where the key is found.
    text = "İİİ " + KEY.upper() + " İ"
    assert redact(text, [KEY]) == f"İİİ {REDACTED} İ"


def test_redact_finds_a_fragment_in_a_big_text() -> None:
    # A multi-megabyte answer with a fragment near the end: found, and everything else intact.
    text = "x" * 3_000_000 + KEY[3:30] + "y" * 1000
    out = redact(text, [KEY])
    assert out == "x" * 3_000_000 + REDACTED + "y" * 1000


def test_escape_surrogates() -> None:
    assert escape_surrogates("a\ud800b\udfffc") == "a\\ud800b\\udfffc"
    assert escape_surrogates("plain é 🦤") == "plain é 🦤"
    escaped = escape_surrogates(json.loads('"\\ud800"'))
    escaped.encode("utf-8")  # writable now


def test_secret_never_shows_its_value_in_a_repr() -> None:
    secret = Secret(KEY)
    assert secret == KEY
    assert f"Bearer {secret}" == f"Bearer {KEY}"
    assert KEY not in repr(secret)
    assert KEY not in repr({"api_key": secret})
    assert json.dumps(secret) == json.dumps(KEY)
