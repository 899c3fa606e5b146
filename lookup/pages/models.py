"""The stored scan pages."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

HTML, HTML_WITH_LANGUAGE, JSON = "html", "html+lang", "json"  # formats; the second keeps ?lang= on its links


class RenderedPage(SQLModel, table=True):
    """One instrument's page in one language and format, as served, and until when it stays true."""

    __tablename__ = "rendered_page"
    # The midnight worker asks for the pages whose day has passed: by this index, not by reading the table.
    __table_args__ = (sa.Index("ix_rendered_page_true_until", "true_until"),)

    code: str = Field(max_length=10, primary_key=True)
    language: str = Field(max_length=8, primary_key=True)  # "" for JSON, which has one language
    format: str = Field(max_length=10, primary_key=True)
    stamp: str = Field(max_length=40)  # the templates, catalogues and settings it was made with (web/render)
    rendered_on: date  # the day it was rendered; its "as of" date is patched to the day it is served
    true_until: date  # the last day its content (its status, a countdown) stays the same
    tag: str = Field(max_length=16)  # names what the page shows but its date; the ETag adds the date (packing.py)
    gzipped: bytes = Field(sa_type=sa.LargeBinary)  # the page, kept in its gzip form only
    date_at: int  # where the "as of" date stands in the page
    gzipped_date_at: int  # and in gzipped, stored uncompressed so that it can be replaced
