"""The one reader of JSON request bodies (the complaints API, the queue's actions, the Telegram webhook).

Every way a body can fail to be JSON the service takes is a 400 :class:`MalformedJson`, never a server error:
not UTF-8; not JSON; nested past :data:`MAX_DEPTH` (Python's parser gives up on deep nesting with a
RecursionError, and shallower nesting that it did parse could still exhaust the stack of whatever walks it
next); NaN or an infinite number (PostgreSQL's json refuses both); a string that is not Unicode text (a lone
surrogate escape, which cannot be stored as UTF-8). A body past the application's size limit is aiohttp's 413.
"""

from __future__ import annotations

import json
import math
from typing import Any

from aiohttp import web

from lookup.problems import Kind, Problem

MAX_DEPTH = 20  # the deepest any of our bodies goes is 3 (a complaint's contact); 20 leaves room to grow


class MalformedJson(Problem):
    """A request body that is not JSON the service can take."""

    kind = Kind.bad_request


def _refuse_constant(name: str) -> float:
    raise ValueError(f"{name} is not a number JSON allows")


def _finite(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(f"{text} is too large")
    return number


def _deepest_or_unreadable(value: Any) -> int:
    """How deep ``value`` nests (0 for a scalar), or -1 when a string in it is not Unicode text. Iterative: it
    walks what the parser could build without a recursion of its own."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            deepest = max(deepest, depth)
            stack.extend((key, depth + 1) for key in item)
            stack.extend((child, depth + 1) for child in item.values())
        elif isinstance(item, list):
            deepest = max(deepest, depth)
            stack.extend((child, depth + 1) for child in item)
        elif isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return -1
    return deepest


def parse_json(raw: bytes, *, code: str | None = None) -> Any:
    """The JSON value in ``raw``; raises :class:`MalformedJson` (``code``, or bad_encoding / bad_json) otherwise."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise MalformedJson(code or "bad_encoding", "请求不是 UTF-8 编码。", "The body is not valid UTF-8.") from None
    try:
        value = json.loads(text, parse_constant=_refuse_constant, parse_float=_finite)
    except (ValueError, RecursionError) as exc:
        detail = "it nests too deeply" if isinstance(exc, RecursionError) else str(exc)
        raise MalformedJson(
            code or "bad_json", "请求不是有效的 JSON。", f"The body is not valid JSON: {detail}."
        ) from None
    depth = _deepest_or_unreadable(value)
    if depth < 0:
        raise MalformedJson(code or "bad_encoding", "请求中有无效的字符。", "The body holds a string that is not text.")
    if depth > MAX_DEPTH:
        raise MalformedJson(
            code or "bad_json",
            f"请求嵌套太深（最多 {MAX_DEPTH} 层）。",
            f"The body nests too deeply (at most {MAX_DEPTH} levels).",
        )
    return value


async def read_json(request: web.Request, *, code: str | None = None) -> Any:
    """The request's body as JSON (see :func:`parse_json`); past the application's size limit, aiohttp's 413."""
    return parse_json(await request.read(), code=code)
