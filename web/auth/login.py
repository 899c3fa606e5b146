"""Signing in and out: the password, then for an enrolled account the second factor, then a fresh session.

Between the two steps the browser holds a short-lived signed cookie naming the account (``fw_pending``, five
minutes); no session exists until both steps pass. After a full sign-in the browser gets a known-device cookie
(``fw_device``, signed, 90 days) that keeps it able to sign in while others' guesses lock the username
(web/auth/throttle.py). A throttled attempt answers 429 with Retry-After and says, in the page's language, how many
minutes to wait.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from aiohttp import web
from multidict import MultiDictProxy

from lookup.models import table_of
from web.auth.access import (
    CSRF_FIELD,
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    VIEWER,
    before_enrolment,
    cookie_options,
    public,
    staff,
)
from web.auth.accounts import close_session, open_session, record_logout, sign_in
from web.auth.models import StaffRole, User
from web.auth.scope import Reach
from web.auth.second_factor import sign_in_code
from web.auth.throttle import DEVICE_LIFETIME, device_cookie, read_device
from web.db import for_writing
from web.http.client_address import client_address
from web.i18n import request_language
from web.keys import CLOCK, ENGINE, PAGES, SETTINGS

DEVICE_COOKIE = "fw_device"
PENDING_COOKIE = "fw_pending"
PENDING_LIFETIME = timedelta(minutes=5)
user_t = table_of(User)


def add_routes(app: web.Application) -> None:
    app.router.add_get("/login", login_form)
    app.router.add_post("/login", login)
    app.router.add_post("/login/code", login_code)
    app.router.add_post("/logout", logout)


def _safe_next(raw: str | None) -> str:
    # Only a path on this site: "//evil.example" and "https://…" would send a fresh session elsewhere. Checked
    # on what a browser would follow: URL parsers drop tabs and line breaks and read "\" as "/", so
    # "/\t/evil.example" is "//evil.example" there; a path of visible ASCII alone cannot change that way.
    if raw and raw.startswith("/") and not raw.startswith("//") and "\\" not in raw and _visible_ascii(raw):
        return raw
    return "/queue"


def _visible_ascii(text: str) -> bool:
    return all("!" <= ch <= "~" for ch in text)


def remote_of(request: web.Request) -> str:
    """The client's address as throttling counts it (behind FAIRWEIGH_TRUSTED_PROXIES, from X-Forwarded-For)."""
    return client_address(request, request.app[SETTINGS].trusted_proxies)


def _page(
    request: web.Request,
    template: str,
    *,
    status: int = 200,
    error: str | None = None,
    retry_at: datetime | None = None,
    next_path: str | None = None,
) -> web.Response:
    choice = request_language(request)
    token = secrets.token_urlsafe(24)
    wait = max(math.ceil((retry_at - request.app[CLOCK]()).total_seconds()), 1) if retry_at is not None else None
    body = request.app[PAGES].render(
        template,
        choice.language,
        choice=choice,
        csrf=token,
        error=error,
        minutes=math.ceil(wait / 60) if wait is not None else None,
        next=_safe_next(next_path if next_path is not None else request.query.get("next")),
    )
    headers = {"Cache-Control": "no-store"} | ({"Retry-After": str(wait)} if wait is not None else {})
    response = web.Response(text=body, status=status, content_type="text/html", headers=headers)
    response.set_cookie(LOGIN_CSRF_COOKIE, token, max_age=3600, **cookie_options(request))
    return response


def _pending_signature(secret: str, payload: str) -> str:
    return hmac.new(secret.encode(), f"pending-sign-in:{payload}".encode(), hashlib.sha256).hexdigest()[:32]


def _pending_cookie(secret: str, user_id: int, now: datetime) -> str:
    payload = f"{user_id}.{int((now + PENDING_LIFETIME).timestamp())}"
    return f"{payload}.{_pending_signature(secret, payload)}"


def _pending_user(request: web.Request) -> int | None:
    cookie = request.cookies.get(PENDING_COOKIE, "")
    payload, _, signature = cookie.rpartition(".")
    user_id, _, expires = payload.partition(".")
    if not (user_id.isdigit() and expires.isdigit() and len(cookie) < 100):
        return None
    if not hmac.compare_digest(signature, _pending_signature(request.app[SETTINGS].secret(), payload)):
        return None
    return int(user_id) if int(expires) >= request.app[CLOCK]().timestamp() else None


def _form_csrf_ok(request: web.Request, form: MultiDictProxy[Any]) -> bool:
    field, cookie = form.get(CSRF_FIELD), request.cookies.get(LOGIN_CSRF_COOKIE, "")
    return isinstance(field, str) and bool(cookie) and hmac.compare_digest(field, cookie)


def _next_of(form: MultiDictProxy[Any]) -> str:
    wanted = form.get("next")
    return _safe_next(wanted if isinstance(wanted, str) else None)


@public
async def login_form(request: web.Request) -> web.Response:
    return _page(request, "login.html")


@public
async def login(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    if not _form_csrf_ok(request, form):
        return _page(request, "login.html", status=403, error="login.error.csrf")
    username, password = form.get("username"), form.get("password")
    if not isinstance(username, str) or not isinstance(password, str) or len(username) > 100 or len(password) > 200:
        return _page(request, "login.html", status=400, error="login.error.bad")
    settings, now = request.app[SETTINGS], request.app[CLOCK]()
    device = read_device(settings.secret(), request.cookies.get(DEVICE_COOKIE), now=now)
    async with for_writing(request.app[ENGINE]).begin() as connection:
        attempt = await sign_in(connection, username, password, remote=remote_of(request), now=now, device=device)
    if attempt.reason == "throttled":
        return _page(request, "login.html", status=429, error="login.error.throttled", retry_at=attempt.retry_at)
    if attempt.user_id is None:
        return _page(request, "login.html", status=401, error="login.error.bad")
    if attempt.reason == "second_factor":
        response = _page(request, "login_code.html", next_path=_next_of(form))
        response.set_cookie(
            PENDING_COOKIE,
            _pending_cookie(settings.secret(), attempt.user_id, now),
            max_age=int(PENDING_LIFETIME.total_seconds()),
            **cookie_options(request),
        )
        return response
    return await _signed_in(request, attempt.user_id, _next_of(form))


@public
async def login_code(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    user_id = _pending_user(request)
    if not _form_csrf_ok(request, form) or user_id is None:
        return _page(request, "login.html", status=403, error="login.error.expired")
    code = form.get("code")
    if not isinstance(code, str) or len(code) > 40:
        return _page(request, "login_code.html", status=400, error="login.error.code", next_path=_next_of(form))
    now = request.app[CLOCK]()
    device = read_device(request.app[SETTINGS].secret(), request.cookies.get(DEVICE_COOKIE), now=now)
    async with for_writing(request.app[ENGINE]).begin() as connection:
        step = await sign_in_code(connection, user_id, code, remote=remote_of(request), device=device, now=now)
    if step.reason == "throttled":
        return _page(
            request, "login_code.html", status=429, error="login.error.throttled", retry_at=step.retry_at,
            next_path=_next_of(form),
        )  # fmt: skip
    if not step.passed:
        return _page(request, "login_code.html", status=401, error="login.error.code", next_path=_next_of(form))
    return await _signed_in(request, user_id, _next_of(form))


async def _signed_in(request: web.Request, user_id: int, target: str) -> web.StreamResponse:
    """Open a fresh session (dropping any the browser had), mark the device known, and go on."""
    settings, now = request.app[SETTINGS], request.app[CLOCK]()
    async with for_writing(request.app[ENGINE]).begin() as connection:
        stale = request.cookies.get(SESSION_COOKIE)
        if stale:
            await close_session(connection, stale)
        secret = await open_session(connection, user_id, now=now)
        role = (await connection.execute(sa.select(user_t.c.role).where(user_t.c.id == user_id))).scalar()
    if target == "/queue" and role == StaffRole.volunteer:
        target = "/visits/new"  # a volunteer has no queue: their page is the visit form
    response = web.HTTPSeeOther(location=target)
    response.set_cookie(SESSION_COOKIE, secret, **cookie_options(request))
    known = read_device(settings.secret(), request.cookies.get(DEVICE_COOKIE), now=now)
    if known is None or known.user_id != user_id:
        response.set_cookie(
            DEVICE_COOKIE,
            device_cookie(settings.secret(), user_id, now=now),
            max_age=int(DEVICE_LIFETIME.total_seconds()),
            **cookie_options(request),
        )
    response.del_cookie(LOGIN_CSRF_COOKIE, path="/")
    response.del_cookie(PENDING_COOKIE, path="/")
    raise response


@staff(reach=Reach.none)
@before_enrolment
async def logout(request: web.Request) -> web.StreamResponse:
    secret = request.cookies.get(SESSION_COOKIE)
    if secret:
        async with for_writing(request.app[ENGINE]).begin() as connection:
            await close_session(connection, secret)
            username, now = request[VIEWER].username, request.app[CLOCK]()
            await record_logout(connection, username, remote=remote_of(request), now=now)
    response = web.HTTPSeeOther(location="/login")
    response.del_cookie(SESSION_COOKIE, path="/")
    raise response
