"""Stand-ins for Alibaba Cloud's and Tencent Cloud's SMS APIs, speaking their HTTP protocols as the official SDKs do.

Serve ``FakeAliyunSms().app()`` or ``FakeTencentSms().app()`` with pytest-aiohttp's ``aiohttp_server`` and point
the provider's ``endpoint`` at it (``http://127.0.0.1:PORT``). Answers are queued: the next requests get a
refusal code, an HTTP error, or no answer at all; otherwise the text is accepted and recorded.

Alibaba Cloud (RPC style, ``POST /`` with the parameters in the query string, ``x-acs-action: SendSms``, an
``ACS3-HMAC-SHA256 Credential=<AccessKeyId>,…`` Authorization): a business answer is HTTP 200 with ``Code``
(``OK`` or e.g. ``isv.MOBILE_NUMBER_ILLEGAL``); an unknown key is HTTP 404 ``InvalidAccessKeyId.NotFound``.
Tencent Cloud (``POST /`` with a JSON body, ``X-TC-Action: SendSms``, a ``TC3-HMAC-SHA256 Credential=<SecretId>/…``
Authorization): every answer is HTTP 200 ``{"Response": …}``, a request refused with ``Error``, a number refused in
``SendStatusSet[0].Code``; the SDK reads ``Error`` only under exactly ``Content-Type: application/json``.
The fakes check the key id in the Authorization header, not the signature itself.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


@dataclass(frozen=True)
class Answer:
    code: str = ""  # a refusal code; "" accepts
    status: int = 200  # HTTP status (Alibaba Cloud's request errors)
    hang: float = 0.0  # seconds to wait before answering
    whole_request: bool = False  # Tencent: refuse the request (Response.Error) rather than the number


@dataclass
class _Fake:
    key_id: str
    sent: list[dict[str, Any]] = field(default_factory=list)  # accepted texts, as the provider read them
    requests: int = 0
    _answers: deque[Answer] = field(default_factory=deque)

    def answer_next(self, *answers: Answer) -> None:
        self._answers.extend(answers)

    def _next(self) -> Answer:
        return self._answers.popleft() if self._answers else Answer()


def _json(document: dict[str, Any], status: int = 200) -> web.Response:
    # Exactly "application/json", as the providers send it (aiohttp's json_response would add a charset).
    return web.Response(status=status, body=json.dumps(document).encode(), headers={"Content-Type": "application/json"})


@dataclass
class FakeAliyunSms(_Fake):
    key_id: str = "LTAI-test-key"

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/", self._rpc)
        return app

    async def _rpc(self, request: web.Request) -> web.Response:
        self.requests += 1
        request_id = str(uuid.uuid4())
        if request.headers.get("x-acs-action") != "SendSms" or request.headers.get("x-acs-version") != "2017-05-25":
            return _json({"Code": "InvalidAction.NotFound", "Message": "?", "RequestId": request_id}, 404)
        authorization = request.headers.get("Authorization", "")
        if not authorization.startswith(f"ACS3-HMAC-SHA256 Credential={self.key_id},"):
            message = "Specified access key is not found."
            return _json({"Code": "InvalidAccessKeyId.NotFound", "Message": message, "RequestId": request_id}, 404)
        answer = self._next()
        if answer.hang:
            await asyncio.sleep(answer.hang)
        if answer.status != 200:
            return _json(
                {"Code": answer.code or "ServiceUnavailable", "Message": "x", "RequestId": request_id}, answer.status
            )
        if answer.code:
            return _json({"Code": answer.code, "Message": "refused", "RequestId": request_id})
        query = request.query
        self.sent.append(
            {
                "phone": query["PhoneNumbers"],
                "sign": query["SignName"],
                "template": query["TemplateCode"],
                "params": json.loads(query["TemplateParam"]),
                "out_id": query.get("OutId"),
                "request": str(request.url) + (await request.text()),
            }
        )
        return _json({"Code": "OK", "Message": "OK", "BizId": f"biz-{len(self.sent)}", "RequestId": request_id})


@dataclass
class FakeTencentSms(_Fake):
    key_id: str = "AKID-test-secret-id"
    app_id: str = "1400000001"

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/", self._api)
        return app

    async def _api(self, request: web.Request) -> web.Response:
        self.requests += 1
        request_id = str(uuid.uuid4())

        def error(code: str, message: str = "refused") -> web.Response:
            return _json({"Response": {"Error": {"Code": code, "Message": message}, "RequestId": request_id}})

        if request.headers.get("X-TC-Action") != "SendSms" or request.headers.get("X-TC-Version") != "2021-01-11":
            return error("InvalidAction")
        if not request.headers.get("Authorization", "").startswith(f"TC3-HMAC-SHA256 Credential={self.key_id}/"):
            return error("AuthFailure.SecretIdNotFound", "The SecretId is not found.")
        body = await request.json()
        if body.get("SmsSdkAppId") != self.app_id:
            return error("FailedOperation.SmsSdkAppIdVerifyFail")
        answer = self._next()
        if answer.hang:
            await asyncio.sleep(answer.hang)
        if answer.status != 200:
            return web.Response(status=answer.status, text="bad gateway")
        if answer.code and answer.whole_request:
            return error(answer.code)
        phone = body["PhoneNumberSet"][0]
        status = {"SerialNo": "", "PhoneNumber": phone, "Fee": 0, "SessionContext": "", "IsoCode": "CN"}
        if answer.code:
            status |= {"Code": answer.code, "Message": "refused"}
        else:
            self.sent.append(
                {
                    "phone": phone,
                    "sign": body["SignName"],
                    "template": body["TemplateId"],
                    "params": body["TemplateParamSet"],
                    "session": body.get("SessionContext"),
                    "request": json.dumps(body, ensure_ascii=False),
                }
            )
            status |= {"Code": "Ok", "Message": "send success", "SerialNo": f"serial-{len(self.sent)}", "Fee": 1}
        return _json({"Response": {"SendStatusSet": [status], "RequestId": request_id}})
