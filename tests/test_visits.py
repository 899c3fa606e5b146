"""Volunteer supervisors record visits on a phone; what they find reaches the station's queue as a report."""

from __future__ import annotations

import io
import re
from typing import Any

import html5lib
import sqlalchemy as sa
from aiohttp import FormData
from aiohttp.test_utils import TestClient
from PIL import Image
from sqlalchemy.ext.asyncio import AsyncEngine

from complaints.programme.visits import CHECKS
from tests.staff_support import SOUTH, add_staff, sign_in
from web.auth.models import StaffRole

Client = TestClient[Any, Any]


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(out, format="JPEG")
    return out.getvalue()


async def form_action(client: Client) -> str:
    page = await (await client.get("/visits/new")).text()
    html5lib.HTMLParser(strict=True).parse(page)
    found = re.search(r'action="(/visits/new\?csrf=[^"]+)"', page)
    assert found is not None
    return found.group(1).replace("&amp;", "&")


def visit(codes: str, answers: dict[str, str], *, photo: bool = False, notes: str = "") -> FormData:
    form = FormData(default_to_multipart=True)  # as a browser sends the form (enctype multipart)
    form.add_field("codes", codes)
    for item, answer in answers.items():
        form.add_field(item, answer)
    form.add_field("notes", notes)
    if photo:
        form.add_field("photos", jpeg(), filename="seal.jpg", content_type="image/jpeg")
    return form


ALL_YES = dict.fromkeys(CHECKS, "yes")


async def test_a_finding_becomes_a_report_in_the_station_queue(
    client: Client, engine: AsyncEngine, codes: dict[str, str]
) -> None:
    await add_staff(engine, "vol", StaffRole.volunteer)
    signed = await sign_in(client, "vol")
    assert signed.headers["Location"] == "/visits/new"  # a volunteer has no queue
    action = await form_action(client)
    answers = ALL_YES | {"seals_intact": "no"}
    sent = await client.post(
        action,
        data=visit(f"{codes['valid']}, {codes['expired']}", answers, photo=True, notes="秤的铅封被剪断"),
        allow_redirects=False,
    )
    assert sent.status == 303
    ref = sent.headers["Location"].split("recorded=")[1]
    async with engine.connect() as connection:
        case = (
            await connection.execute(
                sa.text(
                    "SELECT c.intent, c.category, c.channel, c.text, s.name AS station, "
                    "(SELECT count(*) FROM complaintphoto p WHERE p.complaint_id = c.id) AS photos "
                    "FROM complaint c JOIN station s ON s.id = c.station_id WHERE c.ref = :ref"
                ),
                {"ref": ref},
            )
        ).one()
        stored = (await connection.execute(sa.text("SELECT checks, report_id FROM volunteer_visit"))).one()
    assert (case.intent, case.category, case.channel, case.station, case.photos) == (
        "report", "tampered_instrument", "volunteer", SOUTH, 1,
    )  # fmt: skip
    assert "铅封或签封不完整" in case.text
    assert "秤的铅封被剪断" in case.text
    assert f"器具 {codes['expired']}" in case.text  # the expired instrument scanned on the way
    assert stored.report_id is not None
    listing = await (await client.get("/visits")).text()
    html5lib.HTMLParser(strict=True).parse(listing)
    assert f"举报 {ref}" in listing
    assert "铅封或签封不完整" in listing  # what was found, in words


async def test_a_clean_visit_files_nothing_and_bad_forms_say_why(
    client: Client, engine: AsyncEngine, codes: dict[str, str]
) -> None:
    await add_staff(engine, "vol", StaffRole.volunteer)
    await sign_in(client, "vol")
    action = await form_action(client)
    clean = await client.post(action, data=visit(codes["valid"], ALL_YES), allow_redirects=False)
    assert clean.status == 303, await clean.text()
    assert clean.headers["Location"] == "/visits?recorded=clean"
    for codes_typed, answers, words in (
        (codes["valid"], {"seals_intact": "yes"}, "请回答检查表的每一项"),
        ("ABCDE-12345", ALL_YES, "贴纸可能是伪造的"),
        ("", ALL_YES, "请至少扫一台器具"),
    ):
        refused = await client.post(action, data=visit(codes_typed, answers))
        assert refused.status == 400
        assert words in await refused.text()
    no_token = await client.post("/visits/new", data=visit(codes["valid"], ALL_YES))
    assert no_token.status == 403
    async with engine.connect() as connection:
        assert (await connection.execute(sa.text("SELECT count(*) FROM complaint"))).scalar_one() == 0
        assert (await connection.execute(sa.text("SELECT count(*) FROM volunteer_visit"))).scalar_one() == 1
    assert "未发现问题" in await (await client.get("/visits")).text()


async def test_volunteers_see_no_cases_and_supervisors_see_the_volunteers(
    client: Client, engine: AsyncEngine, codes: dict[str, str]
) -> None:
    await add_staff(engine, "vol", StaffRole.volunteer)
    await add_staff(engine, "south", StaffRole.handler, SOUTH)
    await add_staff(engine, "boss", StaffRole.supervisor)
    await sign_in(client, "vol")
    await client.post(await form_action(client), data=visit(codes["expired"], ALL_YES), allow_redirects=False)
    for closed in ("/queue", "/reports", "/hotspots", "/volunteers", "/api/v1/queue"):
        assert (await client.get(closed)).status == 403, closed
    client.session.cookie_jar.clear()
    await sign_in(client, "south")
    assert (await client.get("/visits/new")).status == 403
    queue = await (await client.get("/queue", params={"channel": "volunteer"})).text()
    html5lib.HTMLParser(strict=True).parse(queue)
    assert "JL20261123-0001" in queue  # the visit's report, in the station's queue
    client.session.cookie_jar.clear()
    await sign_in(client, "boss")
    page = await (await client.get("/volunteers")).text()
    html5lib.HTMLParser(strict=True).parse(page)
    assert "vol" in page
    assert "张记水产" in page
    assert "<td>1</td><td>1</td>" in page  # one visit, which became one report
