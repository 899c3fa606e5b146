"""The handlers' queue: text search as typed (wildcards, quotes, case, references) and PostgreSQL's indexes for it."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from complaints.queue.conditions import QueueFilter, escape_like
from complaints.scope import Scope
from tests.queue_support import EVERYONE, Cases, complaint_t, count, refs
from tests.support import TODAY

INJECTION = "'; DROP TABLE complaint; --"
SEARCH_TEXTS = {
    "percent": "秤上贴着“折扣100%”，结果两斤带鱼少了二两。",
    "underscore": "价签写着 5_kg 装，回家一称只有 4.6 千克。",
    "backslash": "收据上的编号是 A\\B-17，电子秤显示的重量和小票对不上。",
    "double_quote": '老板说"绝对足秤"，我拿去公平秤复称少了三两。',
    "single_quote": "The vendor's scale at stall 12 reads 50 g heavy.",
    "injection": f"有人在留言里写 {INJECTION} 想捣乱，我的诉求是：猪肉少称了一两。",
    "latin_upper": "ELECTRONIC SCALE at the fruit stall shows a different weight.",
    "chinese": "在东街口水果摊买了三斤荔枝，缺斤少两，足足少了四两。",
    "chinese_2": "加油机跳字太快，怀疑缺斤少两，加了二百元只有二十八升。",
    "mentions_ref": "上次投诉的 JL20261101-0007 还没有处理结果，老板又少称了。",
    "plain": "水表走得太快，一个月走了四十吨。",
}
SEARCHES: list[tuple[str, set[str]]] = [
    ("%", {"percent"}),
    ("100%", {"percent"}),
    ("_", {"underscore"}),
    ("5_kg", {"underscore"}),
    ("5%kg", set()),
    ("\\", {"backslash"}),
    ("A\\B", {"backslash"}),
    ('"绝对足秤"', {"double_quote"}),
    ("'", {"single_quote", "injection"}),
    ("vendor's", {"single_quote"}),
    (INJECTION, {"injection"}),
    ("complaint; --", {"injection"}),
    ("scale", {"single_quote", "latin_upper"}),
    ("SCALE", {"single_quote", "latin_upper"}),
    ("Electronic Scale", {"latin_upper"}),
    ("缺斤少两", {"chinese", "chinese_2"}),
    ("荔枝", {"chinese"}),
    ("  荔枝  ", {"chinese"}),
    ("四十吨", {"plain"}),
    ("秤", {"percent", "backslash", "double_quote"}),
    ("二两", {"percent"}),
    ("sC", {"single_quote", "latin_upper"}),
    ("JL20261101-0007", {"mentions_ref"}),
    ("没有这句话", set()),
]


@pytest.mark.parametrize(("words", "expected"), SEARCHES, ids=[words for words, _ in SEARCHES])
async def test_text_search_finds_the_words_as_typed(
    engine: AsyncEngine, stations: list[int], words: str, expected: set[str]
) -> None:
    cases = Cases()
    by_ref = {cases.add(station_id=stations[0], due_on=TODAY, text=text): name for name, text in SEARCH_TEXTS.items()}
    await cases.insert(engine)
    found = {by_ref[ref] for ref in await refs(engine, EVERYONE, QueueFilter(text=words))}
    assert found == expected
    assert await count(engine, EVERYONE, QueueFilter(text=words)) == len(expected)
    # Whatever was typed, the table is still there with every case in it.
    async with engine.connect() as connection:
        stored = await connection.execute(sa.select(sa.func.count()).select_from(complaint_t))
        assert stored.scalar_one() == len(SEARCH_TEXTS)


async def test_an_empty_search_filters_nothing(engine: AsyncEngine, stations: list[int]) -> None:
    cases = Cases()
    for text in SEARCH_TEXTS.values():
        cases.add(station_id=stations[0], due_on=TODAY, text=text)
    await cases.insert(engine)
    for words in ("", "   ", "\x00"):
        assert await count(engine, EVERYONE, QueueFilter(text=words)) == len(SEARCH_TEXTS)


async def test_a_reference_finds_its_case(engine: AsyncEngine, stations: list[int]) -> None:
    cases = Cases()
    wanted = cases.add(station_id=stations[0], due_on=TODAY, ref="JL20261120-0042")
    cases.add(station_id=stations[0], due_on=TODAY, ref="JL20261120-0043")
    other_station = cases.add(station_id=stations[1], due_on=TODAY, ref="JL20261120-0044")
    await cases.insert(engine)
    for typed in ("JL20261120-0042", "jl20261120-0042", " JL20261120-0042 "):
        assert await refs(engine, EVERYONE, QueueFilter(text=typed)) == [wanted]
    assert await refs(engine, EVERYONE, QueueFilter(text="JL20261120-004")) == []  # a reference is matched whole
    # A reference is no way round the scope.
    assert await refs(engine, Scope.station(stations[0]), QueueFilter(text=other_station)) == []
    assert await refs(engine, Scope.station(stations[1]), QueueFilter(text=other_station)) == [other_station]


def test_like_wildcards_are_escaped() -> None:
    assert escape_like("100%_a\\b") == "100\\%\\_a\\\\b"
    assert escape_like("缺斤少两") == "缺斤少两"


async def test_postgresql_searches_through_the_trigram_index(engine: AsyncEngine, stations: list[int]) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("the trigram index is PostgreSQL's")
    cases = Cases()
    for name, text in SEARCH_TEXTS.items():
        cases.add(station_id=stations[0], due_on=TODAY, text=f"{text} {name}")
    await cases.insert(engine)
    sql = "SELECT id FROM complaint WHERE text ILIKE :pattern ESCAPE '\\'"
    plan = await index_plan(engine, sql, pattern=f"%{escape_like('缺斤少两')}%")
    assert "ix_complaint_text_trgm" in plan


async def test_postgresql_searches_short_words_through_the_character_index(
    engine: AsyncEngine, stations: list[int]
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("the index of characters and pairs is PostgreSQL's (SQLite reads the rows)")
    cases = Cases()
    for text in SEARCH_TEXTS.values():
        cases.add(station_id=stations[0], due_on=TODAY, text=text)
    await cases.insert(engine)
    plan = await index_plan(
        engine, "SELECT id FROM complaint WHERE fairweigh_short_grams(text) @> ARRAY[:word]", word="二两"
    )
    assert "ix_complaint_text_short_grams" in plan
    async with engine.connect() as connection:
        grams = await connection.execute(sa.text("SELECT fairweigh_short_grams('Ab两')"))
        assert sorted(grams.scalar_one()) == sorted(["a", "b", "两", "ab", "b两"])


async def index_plan(engine: AsyncEngine, sql: str, **parameters: str) -> str:
    """PostgreSQL's plan for ``sql`` when it may not scan the table or walk a b-tree: a GIN index or nothing."""
    async with engine.begin() as connection:
        await connection.execute(sa.text("SET LOCAL enable_seqscan = off"))
        await connection.execute(sa.text("SET LOCAL enable_indexscan = off"))
        plan = await connection.execute(sa.text(f"EXPLAIN {sql}"), parameters)
        return "\n".join(plan.scalars())
