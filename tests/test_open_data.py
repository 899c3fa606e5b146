"""Open data: the Open311 GeoReport v2 view and the daily counts publish public fields only."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from aiohttp.test_utils import TestClient
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.staff_support import SOUTH, add_staff, token_for
from web.auth.models import StaffRole

Client = TestClient[Any, Any]
SHOPPER = {"name": "王芳", "phone": "13800138000"}
WORDS = "张记水产的秤少了二两，要求退钱，我叫王芳"
GEOREPORT_FIELDS = {
    "service_request_id", "status", "status_notes", "service_name", "service_code", "description",
    "agency_responsible", "service_notice", "requested_datetime", "updated_datetime", "expected_datetime",
    "address", "address_id", "zipcode", "lat", "long", "media_url",
}  # fmt: skip


async def file_cases(client: Client, engine: AsyncEngine, code: str) -> tuple[str, str]:
    body = {"text": WORDS, "code": code, "contact": SHOPPER}
    open_ref = (await (await client.post("/api/v1/complaints", json=body)).json())["ref"]
    asked = {"text": "请问公平秤在哪里", "code": code, "contact": {"phone": "13900000000"}}
    answered_ref = (await (await client.post("/api/v1/complaints", json=asked)).json())["ref"]
    await add_staff(engine, "south", StaffRole.handler, SOUTH)
    headers = {"Authorization": f"Bearer {await token_for(engine, 'south')}"}
    replied = {"action": "reply", "message": "王芳您好，已联系商户，电话13800138000"}
    assert (await client.post(f"/api/v1/queue/{open_ref}/actions", json=replied, headers=headers)).status == 200
    return open_ref, answered_ref


async def test_georeport_requests_carry_public_fields_only(
    client: Client, engine: AsyncEngine, codes: dict[str, str]
) -> None:
    open_ref, answered_ref = await file_cases(client, engine, codes["valid"])
    services = await (await client.get("/open311/v2/services.json")).json()
    assert [s["service_code"] for s in services][:2] == ["short_weight", "tampered_instrument"]
    assert len(services) == 13

    response = await client.get("/open311/v2/requests.json")
    assert response.status == 200
    raw = await response.text()
    listed = json.loads(raw)
    assert {r["service_request_id"]: r["status"] for r in listed} == {open_ref: "open", answered_ref: "closed"}
    for published in listed:
        assert set(published) == GEOREPORT_FIELDS
        assert published["description"] is None
        assert published["agency_responsible"] == SOUTH
        assert published["address"] == "南门农贸市场"
    complaint = next(r for r in listed if r["service_request_id"] == open_ref)
    assert complaint["service_code"] == "short_weight"
    assert complaint["requested_datetime"] == "2026-11-23T10:00:00+08:00"
    assert complaint["expected_datetime"].startswith("2026-12-02T23:59:59")
    for private in ("王芳", "13800138000", "13900000000", "二两", "已联系商户", "张记水产"):
        assert private not in raw

    only_open = await (await client.get("/open311/v2/requests.json", params={"status": "open"})).json()
    assert [r["service_request_id"] for r in only_open] == [open_ref]
    by_code = await client.get("/open311/v2/requests.json", params={"service_code": "taxi_meter"})
    assert await by_code.json() == []
    one = await (await client.get(f"/open311/v2/requests/{open_ref.lower()}.json")).json()
    assert [r["service_request_id"] for r in one] == [open_ref]
    long_ago = {"start_date": "2025-01-01T00:00:00+08:00", "end_date": "2025-02-01T00:00:00+08:00"}
    assert await (await client.get("/open311/v2/requests.json", params=long_ago)).json() == []


async def test_georeport_refuses_bad_queries_in_its_own_error_format(client: Client) -> None:
    for params, words in (
        ({"start_date": "yesterday"}, "ISO 8601"),
        ({"service_code": "fish"}, "unknown service_code"),
        ({"status": "pending"}, "open or closed"),
        ({"start_date": "2026-11-20T00:00:00Z", "end_date": "2026-11-01T00:00:00Z"}, "not be after"),
        ({"service_request_id": ",".join(["JL1"] * 51)}, "at most 50"),
    ):
        response = await client.get("/open311/v2/requests.json", params=params)
        assert response.status == 400
        [error] = await response.json()
        assert error["code"] == 400
        assert words in error["description"]
    missing = await client.get("/open311/v2/requests/JL20990101-0001.json")
    assert missing.status == 404
    assert (await missing.json())[0]["code"] == 404


async def test_daily_counts_are_anonymous(client: Client, engine: AsyncEngine, codes: dict[str, str]) -> None:
    _, answered_ref = await file_cases(client, engine, codes["valid"])
    [answered] = await (await client.get(f"/open311/v2/requests/{answered_ref}.json")).json()
    response = await client.get("/open-data/cases-daily.csv", params={"from": "2026-11-23"})
    assert response.status == 200
    text = await response.text()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows == [
        {"date": "2026-11-23", "station": SOUTH, "intent": "complaint", "category": "short_weight",
         "received": "1", "still_open": "1"},
        {"date": "2026-11-23", "station": SOUTH, "intent": "inquiry", "category": answered["service_code"],
         "received": "1", "still_open": "0"},
    ]  # fmt: skip
    assert "王芳" not in text
    yesterday = await (await client.get("/open-data/cases-daily.csv")).text()
    assert yesterday.strip() == "date,station,intent,category,received,still_open"
    assert (await client.get("/open-data/cases-daily.csv", params={"from": "2026-13-01"})).status == 400
    wide = {"from": "2024-01-01", "to": "2026-01-01"}
    assert (await client.get("/open-data/cases-daily.csv", params=wide)).status == 400
