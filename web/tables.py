"""Every table of the service on ``SQLModel.metadata``, for whatever compares, migrates or empties the whole schema
(the migrations' environment, benchmarks that reset a database). Kept apart from web/db.py, which knows engines and
no feature's tables."""

from __future__ import annotations

from sqlmodel import SQLModel

import bot.models  # noqa: F401
import complaints.merchants.models
import complaints.models
import complaints.odr.models
import complaints.personal_data.models  # noqa: F401
import lookup.models
import lookup.pages.models  # noqa: F401
import web.auth.models  # noqa: F401

metadata = SQLModel.metadata
