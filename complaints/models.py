"""Complaint-side tables. (The complaint and its timeline arrive with intake; see the issue notes.)"""

from __future__ import annotations

from datetime import date

from sqlmodel import Field, SQLModel

import lookup.models  # noqa: F401  (shares SQLModel.metadata and its naming convention)


class CalendarRule(SQLModel, table=True):
    """One day of an official holiday schedule an administrator imported (`fairweigh calendar import`).

    Stored, not read from a file at start-up, so every process of a deployment counts deadlines alike.
    """

    day: date = Field(primary_key=True)
    year: int = Field(index=True)
    working: bool
    name: str = Field(default="", max_length=100)
