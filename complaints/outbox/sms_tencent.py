"""Tencent Cloud SMS (腾讯云短信, API ``SendSms`` 2021-01-11) through its official SDK, ``tencentcloud-sdk-python-sms``.

A refusal of the whole request (a bad key, throttling) comes back as ``Response.Error`` and the SDK raises
``TencentCloudSDKException`` with its code; so does a network failure (``ClientNetworkError``) or an HTTP status
other than 200 (``ServerNetworkError``). A refusal of the one number arrives in ``SendStatusSet[0].Code``. Tencent
templates number their variables: ``{1}`` is the reference and ``{2}`` the link.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from tencentcloud.common import credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.sms.v20210111 import models as sms_models
from tencentcloud.sms.v20210111.sms_client import SmsClient

from complaints.outbox.sms import Refusal, Text, classify

ENDPOINT = "https://sms.tencentcloudapi.com"
REGION = "ap-guangzhou"

CODES = {
    "InvalidParameterValue.IncorrectPhoneNumber": Refusal.invalid_number,
    "FailedOperation.PhoneNumberInBlacklist": Refusal.invalid_number,
    "FailedOperation.PhoneNumberParseFail": Refusal.invalid_number,
    "UnsupportedOperation.ContainDomesticAndInternationalPhoneNumber": Refusal.invalid_number,
    "UnsupportedOperation.UnsupportedRegion": Refusal.invalid_number,
    "FailedOperation.TemplateIncorrectOrUnapproved": Refusal.not_approved,
    "FailedOperation.SignatureIncorrectOrUnapproved": Refusal.not_approved,
    "FailedOperation.MissingTemplateToModify": Refusal.not_approved,
    "FailedOperation.MissingSignature": Refusal.not_approved,
    "FailedOperation.InsufficientBalanceInSmsPackage": Refusal.rate_limited,
    "FailedOperation.ContainSensitiveWord": Refusal.rejected,
    "FailedOperation.FailResolvePacket": Refusal.rejected,
    "FailedOperation.JsonParseFail": Refusal.rejected,
    "RequestLimitExceeded": Refusal.rate_limited,
    "ClientNetworkError": Refusal.unreachable,
    "ServerNetworkError": Refusal.unreachable,
}
PREFIXES = {
    "LimitExceeded": Refusal.rate_limited,
    "AuthFailure": Refusal.auth_failed,
    "UnauthorizedOperation": Refusal.auth_failed,
    "InternalError": Refusal.unreachable,
    "InvalidParameter": Refusal.rejected,
    "UnsupportedOperation": Refusal.rejected,
    "MissingParameter": Refusal.rejected,
}


class TencentSms:
    """Sends one text per call; ``endpoint`` is a URL (scheme and host), the public one unless a test's fake."""

    name = "tencent"

    def __init__(
        self,
        *,
        secret_id: str,
        secret_key: str,
        app_id: str,
        sign_name: str,
        region: str = REGION,
        endpoint: str = ENDPOINT,
    ) -> None:
        parts = urlsplit(endpoint if "://" in endpoint else f"https://{endpoint}")
        self._secret_id, self._secret_key, self._app_id, self._sign_name = secret_id, secret_key, app_id, sign_name
        self._region, self._scheme, self._host = region, parts.scheme or "https", parts.netloc

    def _client(self, timeout: float) -> SmsClient:
        # A client per send: it holds one HTTP connection, which threads must not share.
        http = HttpProfile(protocol=self._scheme, endpoint=self._host, reqTimeout=max(1, round(timeout)))
        # The region breaker would move requests to another public endpoint after failures: the outbox retries.
        profile = ClientProfile(httpProfile=http, disable_region_breaker=True)
        return SmsClient(credential.Credential(self._secret_id, self._secret_key), self._region, profile)

    def send(self, text: Text, *, timeout: float) -> str:
        request = sms_models.SendSmsRequest()
        request.PhoneNumberSet = [f"+86{text.phone}"]
        request.SmsSdkAppId = self._app_id
        request.SignName = self._sign_name
        request.TemplateId = text.template
        request.TemplateParamSet = [value for _, value in text.variables]
        request.SessionContext = text.ref
        try:
            answer = self._client(timeout).SendSms(request)
        except TencentCloudSDKException as exc:
            code = str(exc.get_code() or "")
            raise classify(code, CODES, PREFIXES, Refusal.unreachable).error(self.name, code) from None
        statuses = answer.SendStatusSet or []
        if not statuses:
            raise Refusal.unreachable.error(self.name, "NoSendStatus")
        status = statuses[0]
        code = str(status.Code or "")
        if code == "Ok":
            return str(status.SerialNo or "")
        raise classify(code, CODES, PREFIXES, Refusal.unreachable).error(self.name, code)
