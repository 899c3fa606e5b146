"""「删除我的信息」 in the chat, as the privacy notice promises (issue 19): over the WeChat webhook (plain and safe
mode) and the database, each case of the chat is told what became of the request, and only this chat's cases."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from aiohttp.test_utils import TestClient
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.fake_wechat import ACCOUNT_TEXT, file_case, push, say
from tests.privacy_support import close_case


async def _requests(engine: AsyncEngine) -> list[tuple[str, str]]:
    async with engine.connect() as connection:
        rows = await connection.execute(
            sa.text(
                "SELECT c.ref, r.via FROM erasure_request r JOIN complaint c ON c.id = r.complaint_id ORDER BY c.ref"
            )
        )
        return [(row.ref, row.via) for row in rows]


@pytest.mark.parametrize("safe", [False, True], ids=["plain", "aes"])
async def test_the_chat_asks_to_delete_its_data_and_each_case_is_told_its_outcome(
    wx: TestClient[Any, Any], engine: AsyncEngine, safe: bool
) -> None:
    shopper, neighbour = push(safe=safe), push("oNeighbour00000000000000001", safe=safe)
    assert "没有保存您的个人信息" in (await say(wx, shopper, shopper.text("删除我的信息")))[1]

    ref = await file_case(wx, shopper, ACCOUNT_TEXT)
    other = await file_case(wx, neighbour, ACCOUNT_TEXT.replace("五花肉", "排骨"))
    status, said = await say(wx, shopper, shopper.text("删除我的信息"))
    assert status == 200
    assert f"{ref}：还在办理中" in said, "an open case still needs the data"
    assert other not in said, "another person's case is never named"
    assert await _requests(engine) == []

    async with engine.connect() as connection:
        complaint_id = (
            await connection.execute(sa.text("SELECT id FROM complaint WHERE ref = :r"), {"r": ref})
        ).scalar()
    await close_case(engine, complaint_id)
    said = (await say(wx, shopper, shopper.text("删除我的信息")))[1]
    assert f"{ref}：已记录" in said
    assert await _requests(engine) == [(ref, "wechat")]
    assert f"{ref}：之前已经申请过" in (await say(wx, shopper, shopper.text("删除我的信息。")))[1]
