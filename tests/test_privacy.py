"""Masked contact details, and contact details kept out of logs."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from complaints.privacy import mask_name, mask_phone
from web.app import create_app
from web.http.access_log import server_options
from web.settings import Settings


@pytest.mark.parametrize(
    ("phone", "masked"),
    [("13800138000", "138****8000"), ("059187654321", "059*****4321"), ("12315", "***15"), ("110", "***"), ("", "")],
)
def test_a_masked_phone_keeps_only_what_tells_two_apart(phone: str, masked: str) -> None:
    assert mask_phone(phone) == masked


@pytest.mark.parametrize(("name", "masked"), [("王芳", "王*"), ("欧阳娜娜", "欧***"), ("Li Wei", "L*****"), ("", "")])
def test_a_masked_name_keeps_only_its_first_character(name: str, masked: str) -> None:
    assert mask_name(name) == masked


async def test_the_access_log_never_records_a_case_token_or_contact(
    aiohttp_client: Any, aiohttp_server: Any, settings: Settings, clock: Any, caplog: pytest.LogCaptureFixture
) -> None:
    logged = settings.model_copy(update={"fairweigh_access_log": True})
    server = await aiohttp_server(create_app(logged, clock=clock), **server_options(logged))
    client: TestClient[Any, Any] = await aiohttp_client(server)
    caplog.set_level(logging.INFO)  # what `fairweigh serve` logs
    response = await client.post(
        "/api/v1/complaints",
        json={
            "text": "菜市场卖菜的秤短斤少两，少了一斤多，要求退款",
            "contact": {"name": "王芳", "phone": "13800138000"},
        },
    )
    body = await response.json()
    await client.get(f"/c/{body['ref']}", params={"token": body["token"]})
    assert f"/c/{body['ref']}" in caplog.text  # requests are logged…
    for secret in (body["token"], "13800138000", "王芳", "短斤少两"):  # …but never what they carry
        assert secret not in caplog.text
