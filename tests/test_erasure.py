"""The consumer's request to remove their case's personal data: taken only once the case has ended, recorded on the
public timeline, carried out by the next purge whatever the retention periods, held back by a legal hold; the chat's
"删除我的信息" asks for every case from that chat at once."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from complaints.personal_data.erasure import ErasureOutcome, held_for_chat, request_erasure, request_erasure_for_chat
from complaints.personal_data.holds import release_hold, set_hold
from complaints.personal_data.retention import Kind, RetentionPolicy
from tests.privacy_support import CHAT_ID, Client, close_case, held, purge, removals, submit
from tests.staff_support import two_stations
from tests.support import NOW
from web.db import for_writing

POLICY = RetentionPolicy()


async def ask(engine: AsyncEngine, complaint_id: int) -> ErasureOutcome:
    async with for_writing(engine).begin() as connection:
        return await request_erasure(connection, complaint_id, via="status_page", now=NOW)


async def test_a_request_waits_for_the_case_to_end_then_the_purge_carries_it_out(
    client: Client, engine: AsyncEngine
) -> None:
    await two_stations(engine)
    case = (await submit(client, channel="web")).complaint_id
    assert await ask(engine, case) is ErasureOutcome.case_open
    assert (await purge(client, engine, days=1)).cases == 0

    await close_case(engine, case)
    assert await ask(engine, case) is ErasureOutcome.recorded
    assert await ask(engine, case) is ErasureOutcome.already_requested
    # The next night, long before any retention period: everything goes, and the timeline says it was asked for.
    report = await purge(client, engine, days=1)
    assert report.requests == 1
    assert await held(engine, case) == {"contact": None, "photos": 0, "dedupe": None}
    assert await removals(engine, case) == [{"kinds": ["contact", "photos"], "reason": "request"}]
    assert await ask(engine, case) is ErasureOutcome.nothing_held


async def test_a_held_case_keeps_its_data_until_the_hold_ends(client: Client, engine: AsyncEngine) -> None:
    await two_stations(engine)
    case = (await submit(client, channel="web")).complaint_id
    await close_case(engine, case)
    async with for_writing(engine).begin() as connection:
        await set_hold(connection, case, reason="消费者已起诉经营者，法院调取证据", actor_id=None, now=NOW)
    assert await ask(engine, case) is ErasureOutcome.recorded_on_hold
    await purge(client, engine, days=1)
    assert (await held(engine, case))["photos"] == 1
    async with for_writing(engine).begin() as connection:
        await release_hold(connection, case, actor_id=None, now=NOW)
    assert (await purge(client, engine, days=2)).requests == 1
    assert (await held(engine, case))["contact"] is None


async def test_the_chat_asks_for_every_case_from_that_chat(client: Client, engine: AsyncEngine) -> None:
    await two_stations(engine)
    ended = (await submit(client, channel="telegram")).complaint_id
    still_open = (
        await submit(client, channel="telegram", text="北门市场李记鲜肉买的肉少了一两，请帮忙退钱")
    ).complaint_id
    await close_case(engine, ended)

    async with engine.connect() as connection:
        shown = await held_for_chat(connection, "telegram", CHAT_ID, POLICY)
        assert await held_for_chat(connection, "wechat", CHAT_ID, POLICY) == []
    assert [(h.complaint_id, h.ended) for h in shown] == [(ended, True), (still_open, False)]
    first = shown[0]
    assert (first.name, first.phone, first.chat, first.photos) == ("王*", "138****8000", "telegram", 1)
    assert first.kinds == (Kind.contact, Kind.photos, Kind.chat)
    assert first.kept_until[Kind.chat] == first.ended_at + POLICY.chat  # type: ignore[operator]
    assert shown[1].kept_until == {}  # kept while the case is handled

    answers = await request_erasure_for_chat(for_writing(engine), "telegram", CHAT_ID, policy=POLICY, now=NOW)
    assert [(a.held.complaint_id, a.outcome) for a in answers] == [
        (ended, ErasureOutcome.recorded),
        (still_open, ErasureOutcome.case_open),
    ]
    await purge(client, engine, days=1)
    assert (await held(engine, ended))["contact"] is None
    assert (await held(engine, still_open))["contact"] == ("王芳", "13800138000", CHAT_ID)
    # Once the chat id is gone, that case is no longer the chat's to see.
    async with engine.connect() as connection:
        assert [h.complaint_id for h in await held_for_chat(connection, "telegram", CHAT_ID, POLICY)] == [still_open]


async def test_an_unknown_way_of_asking_is_a_programming_error(client: Client, engine: AsyncEngine) -> None:
    await two_stations(engine)
    case = (await submit(client, channel="web")).complaint_id
    async with for_writing(engine).begin() as connection:
        with pytest.raises(ValueError, match="unknown way"):
            await request_erasure(connection, case, via="fax", now=NOW)
