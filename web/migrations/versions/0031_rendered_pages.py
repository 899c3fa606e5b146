"""scan pages made ahead of time (issue 17): rendered_page, and the triggers that keep it from going stale

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-08 09:00:00

Expand only: a new table the previous release neither reads nor writes, and triggers that only delete from it.

Every table a lookup page shows gets a trigger that deletes the stored pages of the instruments a write touches, in
the writing transaction: the ledger import, the registry's edits, commitments, markets' and stations' facts and any
hand-written UPDATE alike. The next scan renders the page again (lookup/pages/store.py). On PostgreSQL the trigger
first locks those instrument rows, which a render holds FOR SHARE between reading the registry and storing.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0031"
down_revision: str | None = "0030"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Which instruments' pages a write to each table touches, as a query on the written row (ROW.* is OLD or NEW),
# and on which events. Merchants, markets and stations only for the columns a page shows.
_OF_INSTRUMENT = "SELECT ROW.id"
_OF_VERIFICATION = "SELECT ROW.instrument_id"
_OF_MERCHANT = "SELECT id FROM instrument WHERE merchant_id = ROW.id"
_OF_COMMITMENT = "SELECT id FROM instrument WHERE merchant_id = ROW.merchant_id"
_OF_MARKET = "SELECT i.id FROM instrument i JOIN merchant m ON m.id = i.merchant_id WHERE m.market_id = ROW.id"
_OF_STATION = "SELECT i.id FROM instrument i JOIN merchant m ON m.id = i.merchant_id WHERE m.station_id = ROW.id"
ALL = ("INSERT", "UPDATE", "DELETE")
TRIGGERS: tuple[tuple[str, tuple[str, ...], str, str], ...] = (
    # table, events, columns ("" for all), instruments touched
    ("instrument", ALL, "", _OF_INSTRUMENT),
    ("verification", ALL, "", _OF_VERIFICATION),
    ("commitment", ALL, "", _OF_COMMITMENT),
    ("merchant", ("UPDATE",), "name, sector, stall, address, standing, market_id, station_id", _OF_MERCHANT),
    ("market", ("UPDATE",), "name, fair_scale_location", _OF_MARKET),
    ("station", ("UPDATE",), "name, phone", _OF_STATION),
)


def _sqlite_triggers() -> list[tuple[str, str]]:
    made = []
    for table, events, columns, touched in TRIGGERS:
        for event in events:
            rows = {"INSERT": ("NEW",), "UPDATE": ("OLD", "NEW"), "DELETE": ("OLD",)}[event]
            of = f" OF {columns}" if columns else ""
            ids = " UNION ".join(touched.replace("ROW.", f"{row}.") for row in rows)
            name = f"pages_stale_{table}_{event.lower()}"
            # An instrument deleted in this statement is no longer in its table: its own code is read from the row.
            if table == "instrument":
                where = " OR ".join(f"code = {row}.code" for row in rows)
            else:
                where = f"code IN (SELECT code FROM instrument WHERE id IN ({ids}))"
            made.append((name, f"CREATE TRIGGER {name} AFTER {event}{of} ON {table} BEGIN "
                               f"DELETE FROM rendered_page WHERE {where}; END"))  # fmt: skip
    return made


def _postgres_function(table: str, touched: str) -> str:
    def ids(row: str) -> str:
        return touched.replace("ROW.", f"{row}.")

    # An instrument deleted or renamed is no longer found by its id under its old code: that code is read from OLD.
    own = "IF TG_OP <> 'INSERT' THEN DELETE FROM rendered_page WHERE code = OLD.code; END IF;"
    return f"""
CREATE FUNCTION pages_stale_{table}() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE touched integer[];
BEGIN
  IF TG_OP = 'INSERT' THEN touched := ARRAY({ids("NEW")});
  ELSIF TG_OP = 'DELETE' THEN touched := ARRAY({ids("OLD")});
  ELSE touched := ARRAY({ids("OLD")} UNION {ids("NEW")});
  END IF;
  PERFORM 1 FROM instrument WHERE id = ANY(touched) ORDER BY id FOR NO KEY UPDATE;
  DELETE FROM rendered_page WHERE code IN (SELECT code FROM instrument WHERE id = ANY(touched));
  {own if table == "instrument" else ""}
  RETURN NULL;
END $$"""


def upgrade() -> None:
    op.create_table(
        "rendered_page",
        sa.Column("code", sa.String(length=10), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("format", sa.String(length=10), nullable=False),
        sa.Column("stamp", sa.String(length=40), nullable=False),
        sa.Column("rendered_on", sa.Date(), nullable=False),
        sa.Column("true_until", sa.Date(), nullable=False),
        sa.Column("etag", sa.String(length=40), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("gzipped", sa.LargeBinary(), nullable=False),
        sa.Column("date_at", sa.Integer(), nullable=False),
        sa.Column("gzipped_date_at", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("code", "language", "format"),
    )
    op.create_index("ix_rendered_page_true_until", "rendered_page", ["true_until"], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        for table, events, columns, touched in TRIGGERS:
            op.execute(_postgres_function(table, touched))
            on = " OR ".join(f"UPDATE OF {columns}" if e == "UPDATE" and columns else e for e in events)
            op.execute(
                f"CREATE TRIGGER pages_stale AFTER {on} ON {table} FOR EACH ROW EXECUTE FUNCTION pages_stale_{table}()"
            )
    else:
        for _, statement in _sqlite_triggers():
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table, *_ in TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS pages_stale ON {table}")
            op.execute(f"DROP FUNCTION IF EXISTS pages_stale_{table}()")
    else:
        for name, _ in _sqlite_triggers():
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.drop_index("ix_rendered_page_true_until", table_name="rendered_page")
    op.drop_table("rendered_page")
