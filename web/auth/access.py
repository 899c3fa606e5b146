"""Who may use which route, decided in one place: the access middleware.

Every route is marked: `@public` (shoppers, bots, health) or `@staff(roles…, reach=…)`. An unmarked route counts
as staff for every role — a forgotten mark can only lock a page, never open one — and a test walks every route to
check each has its mark. Staff are known by the session cookie (browser) or `Authorization: Bearer` (JSON API); a
browser's unsafe requests must carry the session's CSRF token. The middleware then builds the viewer's scope
(web/auth/scope.py) once, for the route and its queries to ask. Refusals are problems (lookup/problems.py) that
web/errors.py renders: a JSON problem for the API, the refusal page for a browser.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from aiohttp import web

from lookup.problems import Kind, Problem
from web.auth.accounts import Viewer, viewer_for_session, viewer_for_token
from web.auth.models import StaffRole
from web.auth.scope import SCOPE, Reach, reach_of, reaching, scope_of
from web.keys import CLOCK, ENGINE, SETTINGS

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
H = TypeVar("H", bound=Callable[..., Any])

SESSION_COOKIE = "fw_session"
LOGIN_CSRF_COOKIE = "fw_login_csrf"
ENROLMENT_PATH = "/account/second-factor"
CSRF_FIELD = "csrf"
CSRF_HEADER = "X-CSRF-Token"
VIEWER = web.RequestKey("viewer", Viewer)
_ROLES = "__fairweigh_roles__"
_PUBLIC = "__fairweigh_public__"
_BEFORE_ENROLMENT = "__fairweigh_before_enrolment__"
ALL_STAFF = frozenset(StaffRole)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def public(handler: H) -> H:
    setattr(handler, _PUBLIC, True)
    return handler


def staff(*roles: StaffRole, reach: Reach | None = None) -> Callable[[H], H]:
    """Mark a staff route with the roles it admits and what it reaches (set already by :func:`in_scope`)."""

    def mark(handler: H) -> H:
        setattr(handler, _ROLES, frozenset(roles) or ALL_STAFF)
        return reaching(handler, reach) if reach is not None else handler

    return mark


def before_enrolment(handler: H) -> H:
    """A staff route that an account whose role requires a second factor may use before enrolling one."""
    setattr(handler, _BEFORE_ENROLMENT, True)
    return handler


def protection(handler: object) -> frozenset[StaffRole] | None:
    """The roles a route admits, or None for a public route."""
    if getattr(handler, _PUBLIC, False):
        return None
    roles: frozenset[StaffRole] = getattr(handler, _ROLES, ALL_STAFF)
    return roles


def _is_api(request: web.Request) -> bool:
    return request.path.startswith("/api/")


def _refused(code: str, chinese: str, english: str) -> Problem:
    return Problem(code, chinese, english, kind=Kind.refused)


async def _viewer(request: web.Request) -> Viewer | None:
    authorization = request.headers.get("Authorization", "")
    engine = request.app[ENGINE]
    if authorization:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        async with engine.connect() as connection:
            return await viewer_for_token(connection, token.strip())
    secret = request.cookies.get(SESSION_COOKIE)
    if not secret or len(secret) > 100:
        return None
    async with engine.begin() as connection:
        return await viewer_for_session(connection, secret, now=request.app[CLOCK]())


async def _csrf_ok(request: web.Request, expected: str) -> bool:
    given = request.headers.get(CSRF_HEADER)
    if given is None and request.content_type == "multipart/form-data":
        # An upload form carries its token in the action's query string: reading the body here would buffer
        # the photos under the app's 1 MB limit, and the handler streams them instead.
        given = request.query.get(CSRF_FIELD)
    elif given is None and request.content_type == "application/x-www-form-urlencoded":
        field = (await request.post()).get(CSRF_FIELD)
        given = field if isinstance(field, str) else None
    return given is not None and hmac.compare_digest(given, expected)


def _require_second_factor(request: web.Request, viewer: Viewer) -> None:
    """A browser signed in to an account whose role requires a second factor, not enrolled yet, is sent to enrol
    before anything else. API tokens are made at the server console and are not held to it."""
    if viewer.csrf_token is None or viewer.second_factor:
        return
    if viewer.role.value not in request.app[SETTINGS].second_factor_roles:
        return
    if getattr(request.match_info.route.handler, _BEFORE_ENROLMENT, False):
        return
    if _is_api(request):
        chinese, english = "您的账号需要先设置两步验证。", "Your account must enrol a second factor first."
        raise _refused("second_factor_required", chinese, english)
    raise web.HTTPSeeOther(location=ENROLMENT_PATH)


@web.middleware
async def access(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.match_info.http_exception is not None:
        return await handler(request)  # no such route (404) or method (405): nothing to protect
    roles = protection(getattr(request.match_info.route, "handler", None))
    if roles is None:
        return await handler(request)
    viewer = await _viewer(request)
    if viewer is None:
        if _is_api(request):
            chinese, english = "请先登录或提供有效的令牌。", "Sign in or send a valid token."
            raise Problem("unauthenticated", chinese, english, kind=Kind.unauthenticated)
        raise web.HTTPSeeOther(location=f"/login?next={request.rel_url.path}")
    _require_second_factor(request, viewer)
    scope = scope_of(viewer)
    whole_district = reach_of(request.match_info.route.handler) is not Reach.district or scope.whole_district
    if viewer.role not in roles or not whole_district:
        raise _refused("forbidden", "您的角色不能使用这个页面。", "Your role may not use this page.")
    unsafe = request.method not in SAFE_METHODS
    if unsafe and viewer.csrf_token is not None and not await _csrf_ok(request, viewer.csrf_token):
        chinese, english = "表单已过期，请刷新页面后重试。", "The form has expired: reload the page and try again."
        raise _refused("csrf", chinese, english)
    request[VIEWER] = viewer
    request[SCOPE] = scope
    return await handler(request)


def cookie_options(request: web.Request) -> dict[str, Any]:
    return {
        "httponly": True,
        "samesite": "Lax",
        "secure": request.app[SETTINGS].public_base_url.startswith("https://"),
        "path": "/",
    }
