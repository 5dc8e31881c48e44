"""Hostile inputs as Hypothesis strategies: strings, JSON, bodies, and values shaped by a JSON
schema but wrong where it hurts. Kept apart from the fuzz runner so each stays small."""

import copy
import json
from collections.abc import Mapping
from typing import Any

from hypothesis import strategies as st

MAX_WEBHOOK_BYTES = 1024 * 1024  # the default limit: one byte over must be a 413
# Any code point UTF-8 can carry (lone surrogates cannot leave this process at all).
ANY_CHARACTER = st.characters(exclude_categories=["Cs"])
PRINTABLE = st.characters(min_codepoint=0x20, max_codepoint=0x7E)

NASTY_STRINGS = (
    "",
    " ",
    "0",
    "-1",
    "1e309",
    "NaN",
    "null",
    "[]",
    "{}",
    "9" * 400,
    "../../../../etc/passwd",
    "..%2f..%2f",
    "%00",
    "\x00",
    "\r\nX-Injected: 1",
    "' OR '1'='1' --",
    "<script>alert(1)</script>",
    "{{7*7}}${7*7}",
    "\u202eevil",
    "🙂" * 64,
    "A" * 5000,
    "vlens:",
    ":",
    "//",
    "?#",
    "%zz",
    "2026-13-45T99:99:99Z",
    "0001-01-01T00:00:00",
    "9999-12-31T23:59:59.9999999+14:00",
    "##EnvelopeId##",
)


def nasty_text() -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(NASTY_STRINGS),
        st.text(ANY_CHARACTER, max_size=40),
        st.text(ANY_CHARACTER, min_size=300, max_size=2000),
    )


def json_values() -> st.SearchStrategy[Any]:
    scalars = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(2**70), max_value=2**70),
        st.floats(),  # NaN and infinities serialise as bare NaN / Infinity: not JSON at all
        nasty_text(),
    )
    return st.recursive(
        scalars,
        lambda inner: (
            st.lists(inner, max_size=4) | st.dictionaries(nasty_text(), inner, max_size=4)
        ),
        max_leaves=12,
    )


def _deep(opening: bytes, middle: bytes, closing: bytes, depth: int) -> bytes:
    return opening * depth + middle + closing * depth


NASTY_BODIES = (
    b"",
    b" ",
    b"null",
    b"[]",
    b'"a string"',
    b"{",
    b'{"a": 1,}',
    b"{}{}",
    b"\xff\xfe\xfa\x00",
    b"\xef\xbb\xbf{}",
    '{"Id": "x"}'.encode("utf-16"),
    b'{"Id": NaN, "Data": {"Id": Infinity}}',
    b'{"Id": ' + b"9" * 5000 + b"}",
    b'{"Id": 1e999999}',
    _deep(b"[", b"", b"]", 100_000),
    _deep(b'{"Data":', b"1", b"}", 100_000),
    b'{"Id": "\\u0000", "Data": {"Id": "\\ud800"}}',
    b"a=1&b=2",
    b"x" * (MAX_WEBHOOK_BYTES + 1),
)


def nasty_bodies() -> st.SearchStrategy[bytes]:
    return st.one_of(
        st.sampled_from(NASTY_BODIES),
        st.binary(max_size=512),
        json_values().map(lambda value: json.dumps(value).encode()),
    )


@st.composite
def mutated(draw: st.DrawFn, documents: list[Any]) -> Any:
    """A real document with a few parts deleted, or replaced by anything at all."""
    document = copy.deepcopy(draw(st.sampled_from(documents)))
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        paths = list(_paths(document, ()))
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = _at(document, path[:-1])
        if draw(st.booleans()):
            del parent[path[-1]]
        else:
            parent[path[-1]] = draw(json_values())
    return document


def _paths(node: Any, prefix: tuple[Any, ...]) -> list[tuple[Any, ...]]:
    children: list[tuple[Any, Any]] = []
    if isinstance(node, dict):
        children = list(node.items())
    elif isinstance(node, list):
        children = list(enumerate(node))
    found = []
    for key, child in children:
        found.append((*prefix, key))
        found += _paths(child, (*prefix, key))
    return found


def _at(node: Any, path: tuple[Any, ...]) -> Any:
    for key in path:
        node = node[key]
    return node


def from_schema(
    schema: Mapping[str, Any], components: Mapping[str, Any], depth: int = 0
) -> st.SearchStrategy[Any]:
    """Mostly the declared shape, with wrong types and hostile values mixed in everywhere."""
    wrong = json_values()
    if depth > 4:
        return wrong
    ref = schema.get("$ref")
    if isinstance(ref, str):
        return from_schema(components[ref.rsplit("/", 1)[-1]], components, depth + 1)
    choices = schema.get("anyOf") or schema.get("oneOf") or schema.get("allOf")
    if choices:
        return st.one_of(*(from_schema(choice, components, depth + 1) for choice in choices))
    if "enum" in schema:
        return st.one_of(st.sampled_from(list(schema["enum"])), wrong)
    kind = schema.get("type")
    shaped: st.SearchStrategy[Any]
    if kind == "string":
        shaped = nasty_text()
    elif kind == "integer":
        low, high = schema.get("minimum"), schema.get("maximum")
        edges = [edge + step for edge in (low, high) if edge is not None for step in (-1, 0, 1)]
        shaped = st.one_of(st.integers(), st.sampled_from(edges or [0]))
    elif kind == "number":
        shaped = st.floats()
    elif kind == "boolean":
        shaped = st.booleans()
    elif kind == "array":
        shaped = st.lists(from_schema(schema.get("items", {}), components, depth + 1), max_size=5)
    elif kind == "object" or "properties" in schema:
        properties = {
            name: from_schema(part, components, depth + 1)
            for name, part in schema.get("properties", {}).items()
        }
        shaped = st.fixed_dictionaries({}, optional=properties)
    else:
        return wrong
    return st.one_of(shaped, shaped, shaped, wrong)
