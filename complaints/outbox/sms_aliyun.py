"""Alibaba Cloud SMS (阿里云短信服务, API ``SendSms`` 2017-05-25) through its official SDK,
``alibabacloud-dysmsapi20170525``.

The SDK answers a business refusal inside an HTTP 200 (``Code`` other than ``OK``) and raises for the rest:
``ClientException``/``ServerException``/``ThrottlingException`` for HTTP 4xx/5xx (a bad key, throttling), and
``UnretryableException`` when no answer came (refused connection, timeout). The SDK's own retries stay off: the
outbox retries, with its backoff, and records every try.
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

from alibabacloud_dysmsapi20170525 import models as sms_models
from alibabacloud_dysmsapi20170525.client import Client
from alibabacloud_tea_openapi import utils_models as openapi
from alibabacloud_tea_openapi.exceptions import ServerException, ThrottlingException
from darabonba.exceptions import ResponseException, UnretryableException
from darabonba.runtime import RuntimeOptions

from complaints.outbox.sms import Refusal, Text, classify

ENDPOINT = "https://dysmsapi.aliyuncs.com"

CODES = {
    "isv.MOBILE_NUMBER_ILLEGAL": Refusal.invalid_number,
    "isv.MOBILE_COUNT_OVER_LIMIT": Refusal.invalid_number,
    "isv.SMS_TEMPLATE_ILLEGAL": Refusal.not_approved,
    "isv.SMS_SIGNATURE_ILLEGAL": Refusal.not_approved,
    "isv.SMS_SIGNATURE_SCENE_ILLEGAL": Refusal.not_approved,
    "isv.TEMPLATE_MISSING_PARAMETERS": Refusal.not_approved,
    "isv.BUSINESS_LIMIT_CONTROL": Refusal.rate_limited,
    "isv.DAY_LIMIT_CONTROL": Refusal.rate_limited,
    "isv.AMOUNT_NOT_ENOUGH": Refusal.rate_limited,
    "isv.OUT_OF_SERVICE": Refusal.rate_limited,
    "isv.BLACK_KEY_CONTROL_LIMIT": Refusal.rejected,
    "isv.PARAM_LENGTH_LIMIT": Refusal.rejected,
    "isv.PARAM_NOT_SUPPORT_URL": Refusal.rejected,
    "isv.INVALID_PARAMETERS": Refusal.rejected,
    "isv.INVALID_JSON_PARAM": Refusal.rejected,
    "isp.SYSTEM_ERROR": Refusal.unreachable,
    "isp.RAM_PERMISSION_DENY": Refusal.auth_failed,
    "SignatureDoesNotMatch": Refusal.auth_failed,
    "IncompleteSignature": Refusal.auth_failed,
}
PREFIXES = {
    "InvalidAccessKeyId": Refusal.auth_failed,
    "Forbidden": Refusal.auth_failed,
    "Throttling": Refusal.rate_limited,
    "isp.": Refusal.unreachable,
    "isv.": Refusal.rejected,
}


class AliyunSms:
    """Sends one text per call; ``endpoint`` is a URL (scheme and host), the public one unless a test's fake."""

    name = "aliyun"

    def __init__(self, *, key_id: str, key_secret: str, sign_name: str, endpoint: str = ENDPOINT) -> None:
        parts = urlsplit(endpoint if "://" in endpoint else f"https://{endpoint}")
        self._key_id, self._key_secret, self._sign_name = key_id, key_secret, sign_name
        self._protocol, self._host = parts.scheme or "https", parts.netloc

    def _client(self, timeout: float) -> Client:
        # A client per send: the SDK's client is not documented as safe to share between threads.
        milliseconds = int(timeout * 1000)
        return Client(
            openapi.Config(
                access_key_id=self._key_id,
                access_key_secret=self._key_secret,
                endpoint=self._host,
                protocol=self._protocol,
                connect_timeout=milliseconds,
                read_timeout=milliseconds,
            )
        )

    def send(self, text: Text, *, timeout: float) -> str:
        request = sms_models.SendSmsRequest(
            phone_numbers=text.phone,
            sign_name=self._sign_name,
            template_code=text.template,
            template_param=json.dumps(text.params, ensure_ascii=False, separators=(",", ":")),
            out_id=text.ref or None,  # a text to a merchant names no case
        )
        runtime = RuntimeOptions(autoretry=False, read_timeout=int(timeout * 1000), connect_timeout=int(timeout * 1000))
        try:
            answer = self._client(timeout).send_sms_with_options(request, runtime)
        except UnretryableException as exc:
            raise Refusal.unreachable.error(self.name, type(exc.inner_exception).__name__) from None
        except (ServerException, ThrottlingException) as exc:
            refusal = Refusal.rate_limited if isinstance(exc, ThrottlingException) else Refusal.unreachable
            raise refusal.error(self.name, str(exc.code)) from None
        except ResponseException as exc:  # HTTP 4xx: a key, a permission or the request
            code = str(getattr(exc, "code", "") or "")
            raise classify(code, CODES, PREFIXES, Refusal.rejected).error(self.name, code) from None
        body = answer.body
        code = str(body.code or "") if body is not None else ""
        if code == "OK":
            return str(body.biz_id or "")
        raise classify(code, CODES, PREFIXES, Refusal.unreachable).error(self.name, code)
