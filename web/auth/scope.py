"""The viewer's scope (:class:`complaints.scope.Scope`), built once per request by the access middleware, and how
a staff route declares what of the district it reads.

Every staff route says, beside its roles, what it reaches (:class:`Reach`): the thing its path names, found
through the scope by :func:`in_scope` (another station's answers 404, exactly like one that does not exist);
lists and posted things the view narrows or checks with ``request[SCOPE]``; whole-district data, refused to
anyone whose scope is less; or nothing that belongs to a station. ``tests/test_staff_access.py`` holds every
route to its declaration.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from enum import StrEnum
from typing import TypeVar

from aiohttp import web

from complaints.scope import Scope
from complaints.workflow import Role
from lookup.identifiers import parse_row_id
from lookup.problems import Kind, Problem
from web.auth.accounts import Viewer
from web.auth.models import StaffRole

T = TypeVar("T")
R = TypeVar("R", bound=web.StreamResponse)

SCOPE = web.RequestKey("scope", Scope)
CASE_WORKERS = (StaffRole.handler, StaffRole.supervisor)
_REACH = "__fairweigh_reach__"


class Reach(StrEnum):
    path = "path"  # the case, hotspot, check, merchant or instrument the path names, found by in_scope
    scope = "scope"  # lists narrowed, and posted things checked, by request[SCOPE] in the view or its queries
    district = "district"  # the whole district's data: refused unless the scope is the whole district
    none = "none"  # nothing that belongs to a station: signing out, accounts, a volunteer's own visits


def scope_for(role: StaffRole, station_id: int | None) -> Scope:
    """A handler their station, a supervisor the whole district; volunteers and administrators no case at all."""
    if role is StaffRole.supervisor:
        return Scope.everything(role=Role.supervisor)
    if role is StaffRole.handler and station_id is not None:
        return Scope.station(station_id, role=Role.handler)
    return Scope.nothing()


def scope_of(viewer: Viewer) -> Scope:
    return scope_for(viewer.role, viewer.station_id)


def reaching(handler: T, reach: Reach) -> T:
    setattr(handler, _REACH, reach)
    return handler


def reach_of(handler: object) -> Reach | None:
    reach: Reach | None = getattr(handler, _REACH, None)
    return reach


def nothing_here() -> Problem:
    return Problem("not_found", "这里没有这一项。", "There is nothing by that name here.", kind=Kind.not_found)


Finder = Callable[[web.Request, Scope], Awaitable[T | None]]
ScopedHandler = Callable[[web.Request, T], Awaitable[R]]


def in_scope(
    find: Finder[T], *, missing: Callable[[], Problem] = nothing_here
) -> Callable[[ScopedHandler[T, R]], Callable[[web.Request], Awaitable[R]]]:
    """Register a route on the thing its path names: ``find`` looks it up within the request's scope, and the
    handler is called with what it found; nothing found (none such, or another station's) raises ``missing()``,
    a not-found problem, so the two cannot be told apart."""

    def wrap(handler: ScopedHandler[T, R]) -> Callable[[web.Request], Awaitable[R]]:
        @functools.wraps(handler)
        async def scoped(request: web.Request) -> R:
            found = await find(request, request[SCOPE])
            if found is None:
                raise missing()
            return await handler(request, found)

        return reaching(scoped, Reach.path)

    return wrap


def digits(request: web.Request, name: str) -> int | None:
    """The path's number ``name``, or None for anything that cannot be an id (so it answers 404, not 500)."""
    return parse_row_id(request.match_info[name])
