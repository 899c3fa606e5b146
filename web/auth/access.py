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
import secrets
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import sqlalchemy as sa
from aiohttp import web

from lookup.models import table_of
from lookup.problems import Kind, Problem
from web.auth.accounts import (
    Viewer,
    close_session,
    open_session,
    record_logout,
    sign_in,
    viewer_for_session,
    viewer_for_token,
)
from web.auth.models import StaffRole, User
from web.auth.scope import SCOPE, Reach, reach_of, reaching, scope_of
from web.db import for_writing
from web.i18n import request_language
from web.keys import CLOCK, ENGINE, PAGES, SETTINGS

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
H = TypeVar("H", bound=Callable[..., Any])

SESSION_COOKIE = "fw_session"
LOGIN_CSRF_COOKIE = "fw_login_csrf"
CSRF_FIELD = "csrf"
CSRF_HEADER = "X-CSRF-Token"
VIEWER = web.RequestKey("viewer", Viewer)
_ROLES = "__fairweigh_roles__"
_PUBLIC = "__fairweigh_public__"
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


def _safe_next(raw: str | None) -> str:
    # Only a path on this site: "//evil.example" and "https://…" would send a fresh session elsewhere. Checked
    # on what a browser would follow: URL parsers drop tabs and line breaks and read "\" as "/", so
    # "/\t/evil.example" is "//evil.example" there; a path of visible ASCII alone cannot change that way.
    if raw and raw.startswith("/") and not raw.startswith("//") and "\\" not in raw and _visible_ascii(raw):
        return raw
    return "/queue"


def _visible_ascii(text: str) -> bool:
    return all("!" <= ch <= "~" for ch in text)


user_t = table_of(User)


async def _role_of(request: web.Request, user_id: int | None) -> StaffRole | None:
    async with request.app[ENGINE].connect() as connection:
        role = (await connection.execute(sa.select(user_t.c.role).where(user_t.c.id == user_id))).scalar()
    return StaffRole(role) if role is not None else None


def _remote(request: web.Request) -> str:
    return request.remote or "unknown"


def _login_page(request: web.Request, *, status: int = 200, error: str | None = None) -> web.Response:
    choice = request_language(request)
    token = secrets.token_urlsafe(24)
    body = request.app[PAGES].render(
        "login.html",
        choice.language,
        choice=choice,
        csrf=token,
        error=error,
        next=_safe_next(request.query.get("next")),
    )
    response = web.Response(text=body, status=status, content_type="text/html", headers={"Cache-Control": "no-store"})
    response.set_cookie(LOGIN_CSRF_COOKIE, token, max_age=3600, **cookie_options(request))
    return response


@public
async def login_form(request: web.Request) -> web.Response:
    return _login_page(request)


@public
async def login(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    field, cookie = form.get(CSRF_FIELD), request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not isinstance(field, str) or not cookie or not hmac.compare_digest(field, cookie):
        return _login_page(request, status=403, error="login.error.csrf")
    username, password = form.get("username"), form.get("password")
    if not isinstance(username, str) or not isinstance(password, str) or len(username) > 100 or len(password) > 200:
        return _login_page(request, status=400, error="login.error.bad")
    now = request.app[CLOCK]()
    async with for_writing(request.app[ENGINE]).begin() as connection:
        user_id, reason = await sign_in(connection, username, password, remote=_remote(request), now=now)
        if user_id is None:
            secret = None
        else:
            stale = request.cookies.get(SESSION_COOKIE)
            if stale:
                await close_session(connection, stale)
            secret = await open_session(connection, user_id, now=now)
    if secret is None:
        status, key = (429, "login.error.throttled") if reason == "throttled" else (401, "login.error.bad")
        return _login_page(request, status=status, error=key)
    wanted = form.get("next")
    target = _safe_next(wanted if isinstance(wanted, str) else None)
    if target == "/queue" and await _role_of(request, user_id) is StaffRole.volunteer:
        target = "/visits/new"  # a volunteer has no queue: their page is the visit form
    response = web.HTTPSeeOther(location=target)
    response.set_cookie(SESSION_COOKIE, secret, **cookie_options(request))
    response.del_cookie(LOGIN_CSRF_COOKIE, path="/")
    raise response


@staff(reach=Reach.none)
async def logout(request: web.Request) -> web.StreamResponse:
    secret = request.cookies.get(SESSION_COOKIE)
    if secret:
        async with for_writing(request.app[ENGINE]).begin() as connection:
            await close_session(connection, secret)
            await record_logout(connection, request[VIEWER].username, remote=_remote(request), now=request.app[CLOCK]())
    response = web.HTTPSeeOther(location="/login")
    response.del_cookie(SESSION_COOKIE, path="/")
    raise response


def add_routes(app: web.Application) -> None:
    app.router.add_get("/login", login_form)
    app.router.add_post("/login", login)
    app.router.add_post("/logout", logout)
