"""Nothing public shows a consumer's name, phone, chat id or words, or a reporter's identity: every public page
and open-data view, read after cases came in through the web, a chat and a volunteer's visit."""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from aiohttp import FormData
from aiohttp.test_utils import TestClient
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.conversation import EventKind
from complaints.programme.index_metrics import save_area
from complaints.programme.visits import CHECKS
from tests.chat_support import Chat
from tests.staff_support import add_staff, sign_in
from web.auth.models import StaffRole
from web.db import for_writing
from web.keys import DIALOGUE

Client = TestClient[Any, Any]
CHAT_ID = "778899001"
PRIVATE = [
    "王芳",
    "13800138001",
    "8001",
    "李雷",
    "13900139002",
    "9002",
    CHAT_ID,
    "邻居老陈",
    "猫眼胡同",
    "volunteer_zhao",
]
SELECT_MERCHANT = (
    "SELECT m.id, m.market_id FROM instrument i JOIN merchant m ON m.id = i.merchant_id WHERE i.code = :code"
)


async def test_public_pages_show_no_one(client: Client, engine: AsyncEngine, codes: dict[str, str]) -> None:
    code = codes["valid"]
    web_case = {"text": "在张记水产买鱼，邻居老陈也被少称了，我要退钱", "code": code,
                "contact": {"name": "李雷", "phone": "13900139002"}}  # fmt: skip
    assert (await client.post("/api/v1/complaints", json=web_case)).status == 201
    chat = Chat(client.app[DIALOGUE], chat_user=CHAT_ID)
    await chat.send(code, kind=EventKind.start)
    for words in ["我住猫眼胡同，今天在这个摊位买了两斤虾只有一斤七两，要求退款", "好了", "今天上午", "跳过",
                  "没有照片", "王芳", "13800138001", "提交"]:  # fmt: skip
        await chat.send(words)
    await add_staff(engine, "volunteer_zhao", StaffRole.volunteer)
    await sign_in(client, "volunteer_zhao")
    form = FormData(default_to_multipart=True)
    form.add_field("codes", code)
    for item in CHECKS:
        form.add_field(item, "no" if item == "seals_intact" else "yes")
    page = await (await client.get("/visits/new")).text()
    action = re.search(r'action="(/visits/new[^"]*)"', page)
    assert action is not None
    assert (await client.post(action.group(1).replace("&amp;", "&"), data=form, allow_redirects=False)).status == 303
    client.session.cookie_jar.clear()
    async with for_writing(engine).begin() as connection:
        await save_area(connection, "南门街区", kind="street", district="鼓楼区", markets=["南门农贸市场"])
        refs = list((await connection.execute(sa.text("SELECT ref FROM complaint ORDER BY id"))).scalars())
        merchant, market = (await connection.execute(sa.text(SELECT_MERCHANT), {"code": code})).one()
    assert len(refs) >= 3

    public = [
        *(f"/i/{code}", f"/i/{code}?lang=en", f"/api/v1/instruments/{code}", f"/m/{market}", f"/merchant/{merchant}"),
        *("/lists", "/index", "/index/1", "/open311/v2/services.json", "/open311/v2/requests.json"),
        "/open-data/cases-daily.csv?from=2026-11-23",
        *(f"/open311/v2/requests/{ref}.json" for ref in refs),
    ]
    for path in public:
        response = await client.get(path)
        assert response.status == 200, path
        body = await response.text()
        for private in PRIVATE:
            assert private not in body, f"{path} shows {private!r}"
