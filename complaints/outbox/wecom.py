"""Posting to a WeCom group robot (企业微信群机器人), as the outbox channel ``wecom``: a station's morning digest.

The protocol: ``POST <webhook URL>`` (``https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…``) with
``{"msgtype": "markdown", "markdown": {"content": …}}``; the answer is ``{"errcode": 0, "errmsg": "ok"}`` or an
error code. Too many messages (45009, a robot takes 20 a minute), a busy system (-1), HTTP 5xx and network failures
are retried; an unknown or removed robot (93000, 93004) is retried too, while the URL is fixed; anything else is
given up. The URL holds the robot's key, so it is never logged or stored: the message names the station, and the
URL is looked up in the settings when sending.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping

import aiohttp

from complaints.outbox.claims import Delivery
from complaints.outbox.senders import PermanentDeliveryError, RetryableDeliveryError

log = logging.getLogger(__name__)

RETRIED = {-1: "system busy", 45009: "rate limited", 93000: "unknown robot: check the webhook URL",
           93004: "robot removed or disabled: check the webhook URL"}  # fmt: skip
MAX_BYTES = 4096  # a markdown message's limit


class WeComSender:
    """Posts a message's ``text`` to the robot of its ``station`` (``webhooks``: station name → URL)."""

    def __init__(self, webhooks: Mapping[str, str], *, session: aiohttp.ClientSession) -> None:
        self._webhooks, self._session = dict(webhooks), session

    async def send(self, delivery: Delivery) -> None:
        station, text = str(delivery.payload.get("station", "")), str(delivery.payload.get("text", ""))
        url = self._webhooks.get(station)
        if url is None:
            raise RetryableDeliveryError(f"no WeCom robot is configured for station {station!r}: the message waits")
        content = text.encode()[:MAX_BYTES].decode(errors="ignore")
        body = {"msgtype": "markdown", "markdown": {"content": content}}
        try:
            async with self._session.post(url, json=body, allow_redirects=False) as answer:
                status = answer.status
                raw = await answer.read()
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise RetryableDeliveryError(f"WeCom unreachable: {type(exc).__name__}") from None
        if status >= 500 or status == 429:
            raise RetryableDeliveryError(f"WeCom answered HTTP {status}")
        try:
            code = int(json.loads(raw).get("errcode", -1)) if status == 200 else None
        except (ValueError, AttributeError):
            code = None
        if code == 0:
            log.info("wecom: posted the %s for %s", delivery.kind, station)
            return
        if code in RETRIED:
            raise RetryableDeliveryError(f"WeCom refused ({code}): {RETRIED[code]}")
        raise PermanentDeliveryError(f"WeCom refused the message (HTTP {status}, errcode {code})")
