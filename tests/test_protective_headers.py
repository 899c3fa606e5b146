"""Every answer of every route carries the protective headers, and the pages need nothing the policy forbids:
no script, no style but the one inline sheet the policy names by its hash."""

from __future__ import annotations

import base64
import hashlib
import re
from typing import Any

from aiohttp.test_utils import TestClient
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.staff_support import one_of_each_in_the_south, token_for
from web.app import create_app
from web.auth.access import protection
from web.auth.models import StaffRole
from web.settings import Settings

Client = TestClient[Any, Any]
USER_OF_ROLE = {
    StaffRole.handler: "south",
    StaffRole.supervisor: "boss",
    StaffRole.admin: "admin",
    StaffRole.volunteer: "volunteer",
}
FIXED = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
STYLE = re.compile(r"<style>(.*?)</style>", re.DOTALL)


def _policy(header: str) -> dict[str, str]:
    return {part.split(" ", 1)[0]: part.split(" ", 1)[1] for part in header.split("; ")}


# The pages offering 扫一扫 alone run script: our own file and the decoder vendored from npm, never inline.
SCANNER = "'self' 'wasm-unsafe-eval'"
SCRIPTED = {"/", "/complain", "/visits/new"}
SCANNER_SCRIPT = re.compile(r'<script src="/scanner/[\w.-]+\.js" defer></script>')


def assert_protected(response: Any, where: str, *, script_src: str | None = None) -> None:
    for name, value in FIXED.items():
        assert response.headers.get(name) == value, f"{where}: {name}"
    policy = _policy(response.headers.get("Content-Security-Policy", ""))
    assert policy.get("default-src") == "'none'", where
    assert policy.get("frame-ancestors") == "'none'", where
    assert policy.get("base-uri") == "'none'", where
    if script_src is None:
        assert "script-src" not in policy, f"{where}: no script is ever allowed"
    else:
        assert policy.get("script-src") == script_src, f"{where}: our own scripts only"
        assert policy.get("connect-src") == "'self'", where
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"], where
    assert "Strict-Transport-Security" not in response.headers, f"{where}: http only, no HSTS"


def assert_page_fits_the_policy(body: str, policy_header: str, where: str, *, scripted: bool = False) -> None:
    scripts = len(SCANNER_SCRIPT.findall(body)) if scripted else 0
    assert body.lower().count("<script") == scripts, f"{where}: a page needs no script (扫一扫's: files only)"
    assert not re.search(r"\sstyle=", body), f"{where}: an inline style attribute would be refused"
    assert not re.search(r"\son[a-z]+=", body), f"{where}: an event handler attribute is script"
    sheets = STYLE.findall(body)
    assert len(sheets) == 1, where
    digest = base64.b64encode(hashlib.sha256(sheets[0].encode()).digest()).decode()
    assert _policy(policy_header)["style-src"] == f"'sha256-{digest}'", f"{where}: the sheet's hash"


def _url(path: str, things: dict[str, str]) -> str:
    return re.sub(r"\{(\w+)\}", lambda found: things.get(found.group(1), "1"), path)


async def test_every_route_answers_with_the_protective_headers(
    client: Client, engine: AsyncEngine, settings: Settings
) -> None:
    things = await one_of_each_in_the_south(engine, client)
    tokens = {role: await token_for(engine, name) for role, name in USER_OF_ROLE.items()}
    pages = 0
    for route in create_app(settings).router.routes():
        if route.method == "HEAD":
            continue
        path = route.resource.canonical if route.resource is not None else ""
        roles = protection(route.handler)
        headers = {}
        if roles is not None:
            role = next(role for role in USER_OF_ROLE if role in roles)
            headers["Authorization"] = f"Bearer {tokens[role]}"
        url = _url(path, things)
        data = things if route.method == "POST" else None
        response = await client.request(route.method, url, headers=headers, data=data, allow_redirects=False)
        where = f"{route.method} {url} ({response.status})"
        assert response.status < 500, where
        scripted = path in SCRIPTED and response.content_type == "text/html"  # a redirect needs no script
        assert_protected(response, where, script_src=SCANNER if scripted else None)
        body = await response.read()
        if response.content_type == "text/html":
            policy = response.headers["Content-Security-Policy"]
            assert_page_fits_the_policy(body.decode(), policy, where, scripted=scripted)
            pages += 1
    assert pages > 20
    for url in (f"/queue/{things['ref']}", "/no/such/page", "/api/v1/no-such-thing", "/reports/cases.csv"):
        response = await client.get(url, allow_redirects=False)  # signed out: a redirect, a 404, a 401
        assert_protected(response, url)
    lookup = await client.get(f"/i/{things['code']}")
    assert_page_fits_the_policy(await lookup.text(), lookup.headers["Content-Security-Policy"], "lookup page")
    revalidated = await client.get(f"/i/{things['code']}", headers={"If-None-Match": lookup.headers["ETag"]})
    assert revalidated.status == 304
    assert_protected(revalidated, "a 304")


async def test_streamed_exports_and_raised_redirects_carry_them_too(client: Client, engine: AsyncEngine) -> None:
    things = await one_of_each_in_the_south(engine, client)
    boss = {"Authorization": f"Bearer {await token_for(engine, 'boss')}"}
    export = await client.get("/reports/cases.csv", params={"month": "2026-11"}, headers=boss)
    assert export.status == 200
    assert export.content_type == "text/csv"
    assert_protected(export, "the streamed CSV export")
    wrong_method = await client.put(f"/c/{things['ref']}")
    assert wrong_method.status == 405
    assert_protected(wrong_method, "a 405")


async def test_a_site_on_https_asks_browsers_to_keep_to_it(aiohttp_client: Any, settings: Settings) -> None:
    secure = settings.model_copy(update={"public_base_url": "https://fairweigh.example"})
    client: Client = await aiohttp_client(create_app(secure))
    response = await client.get("/healthz")
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000"
