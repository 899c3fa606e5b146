"""Fixtures of the queue tests (registered in conftest.py): three stations to file cases at."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.queue_support import add_stations


@pytest.fixture
async def stations(engine: AsyncEngine) -> list[int]:
    return await add_stations(engine, "南门市场监管所", "东街市场监管所", "西湖市场监管所")
