"""The access log, when turned on (`FAIRWEIGH_ACCESS_LOG=1`): method, path, status, size and time — never the
query string, which carries case tokens (`/c/{ref}?token=…`) and typed codes, nor any header."""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger

from web.settings import Settings


class PathOnlyAccessLogger(AbstractAccessLogger):
    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        self.logger.info(
            "%s %s %s %s %s %.1fms",
            request.remote,
            request.method,
            request.path,
            response.status,
            response.body_length,
            time * 1000,
        )


def server_options(settings: Settings) -> dict[str, Any]:
    """Keyword arguments for `web.run_app` / `AppRunner`."""
    if not settings.fairweigh_access_log:
        # One log line per request costs about as much as a scan's database reads; a reverse proxy usually logs.
        return {"access_log": None}
    return {"access_log": logging.getLogger("aiohttp.access"), "access_log_class": PathOnlyAccessLogger}
