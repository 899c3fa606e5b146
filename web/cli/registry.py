"""The administrator's registry commands: `import ledger`, `codes`, `labels`."""

from __future__ import annotations

import argparse
import asyncio
import csv
import ipaddress
import json
import sys
import urllib.parse
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncEngine

from lookup.codes.gs1 import digital_link_path
from lookup.ledger.importer import ImportReport, import_ledger
from lookup.ledger.read import LedgerFormatError
from lookup.listing import InstrumentEntry, UnknownName, check_names, instrument_entries
from qr.labels import Label, LabelTexts, installed_cjk_font, render_label_sheet
from web.db import create_engine, for_writing, require_current_schema
from web.i18n import load_catalogues
from web.settings import Settings

T = TypeVar("T")

CODE_COLUMNS = ("code", "url", "serial_no", "kind", "merchant", "market", "station", "status")


def today(settings: Settings) -> date:
    return datetime.now(settings.zone).date()


def _with_engine(settings: Settings, work: Callable[[AsyncEngine], Awaitable[T]]) -> T:
    async def run() -> T:
        engine = create_engine(settings.async_database_url)
        try:
            await require_current_schema(engine)
            return await work(engine)
        finally:
            await engine.dispose()

    return asyncio.run(run())


def print_report(report: ImportReport) -> None:
    for notice in report.notices:
        print(f"注意：{notice}")
    for error in report.rejected:
        print(f"第 {error.row} 行：" + "；".join(error.reasons), file=sys.stderr)
    print(
        f"新增 {report.added} 行，更新 {report.updated} 行，未变 {report.unchanged} 行，拒绝 {len(report.rejected)} 行"
        f" (added {report.added}, updated {report.updated}, unchanged {report.unchanged},"
        f" rejected {len(report.rejected)})"
    )


def import_ledger_command(settings: Settings, args: argparse.Namespace) -> int:
    if not args.file.is_file():
        print(f"fairweigh: 找不到文件 {args.file} (no such file)", file=sys.stderr)
        return 2
    try:
        report = _with_engine(
            settings, lambda engine: import_ledger(for_writing(engine), args.file, today=today(settings))
        )
    except LedgerFormatError as exc:
        print(f"fairweigh: 无法导入 {args.file}：{exc}", file=sys.stderr)
        return 2
    print_report(report)
    return 0 if report.ok else 1


async def _entries(engine: AsyncEngine, on: date, **filters: str | None) -> list[InstrumentEntry]:
    async with engine.connect() as connection:
        await check_names(connection, market=filters.get("market"), merchant=filters.get("merchant"))
        return [entry async for entry in instrument_entries(connection, on=on, **filters)]  # type: ignore[arg-type]


def sticker_url_problem(settings: Settings) -> str | None:
    """Why the codes' URLs would not reach a shopper's phone: PUBLIC_BASE_URL left at its default, or a loopback or
    unspecified address (a sticker printed with `http://localhost:8080/i/…` is waste); None when it looks public."""
    if "public_base_url" not in settings.model_fields_set:
        return f"PUBLIC_BASE_URL is not set: the QR codes would point at {settings.public_base_url}"
    host = (urllib.parse.urlsplit(settings.public_base_url).hostname or "").lower()
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        loopback = host in ("", "localhost") or host.endswith(".localhost")
    else:
        loopback = address.is_loopback or address.is_unspecified
    if loopback:
        return f"PUBLIC_BASE_URL is {settings.public_base_url}: no phone can reach that address"
    return None


def _check_sticker_urls(settings: Settings) -> bool:
    """Warns loudly on stderr about URLs no phone can open; False (refuse) when that happens in production."""
    problem = sticker_url_problem(settings)
    if problem is None:
        return True
    if settings.fairweigh_env == "production":
        print(f"fairweigh: {problem}. Refusing in production: set PUBLIC_BASE_URL to the service's public address.",
              file=sys.stderr)  # fmt: skip
        return False
    print(
        f"!!! fairweigh: {problem}. 二维码指向的地址手机打不开，请设置 PUBLIC_BASE_URL 后再打印。 !!!", file=sys.stderr
    )
    return True


def codes_command(settings: Settings, args: argparse.Namespace) -> int:
    """Streams rows as they are read: a province's registry has millions of instruments."""
    if not _check_sticker_urls(settings):
        return 2

    def as_row(entry: InstrumentEntry) -> dict[str, str]:
        return {
            "code": entry.code,
            "url": f"{settings.public_base_url}/i/{entry.code}",
            "serial_no": entry.serial_no,
            "kind": entry.kind.value,
            "merchant": entry.merchant,
            "market": entry.market,
            "station": entry.station,
            "status": entry.status.value,
        }

    async def write(engine: AsyncEngine) -> None:
        writer = csv.DictWriter(sys.stdout, fieldnames=CODE_COLUMNS, lineterminator="\n")
        separator = "[\n"
        async with engine.connect() as connection:
            await check_names(connection, market=args.market, merchant=None)
            entries = instrument_entries(connection, on=today(settings), market=args.market)
            if args.format == "csv":
                writer.writeheader()
            async for entry in entries:
                if args.format == "csv":
                    writer.writerow(as_row(entry))
                else:
                    sys.stdout.write(separator + json.dumps(as_row(entry), ensure_ascii=False))
                    separator = ",\n"
        if args.format == "json":
            sys.stdout.write("[]\n" if separator == "[\n" else "\n]\n")

    try:
        _with_engine(settings, write)
    except UnknownName as exc:
        print(f"fairweigh: {exc}", file=sys.stderr)
        return 2
    return 0


def labels_command(settings: Settings, args: argparse.Namespace) -> int:
    if not _check_sticker_urls(settings):
        return 2
    t = load_catalogues()["zh"]
    try:
        entries = _with_engine(
            settings,
            lambda engine: _entries(engine, today(settings), market=args.market, merchant=args.merchant),
        )
    except UnknownName as exc:
        print(f"fairweigh: {exc}", file=sys.stderr)
        return 2

    def url(entry: InstrumentEntry) -> str:
        if args.form == "gs1" and entry.gtin and entry.gs1_serial:
            return settings.public_base_url + digital_link_path(entry.gtin, entry.gs1_serial)
        return f"{settings.public_base_url}/i/{entry.code}"

    labels = [
        Label(
            url=url(e),
            code=e.code,
            kind_name=t(f"kind.{e.kind.value}"),
            serial_no=e.serial_no,
            merchant=e.merchant,
            stall=e.stall,
        )
        for e in entries
        if e.status.value != "retired"
    ]
    if not labels:
        print("fairweigh: 没有可打印的器具 (no instruments to print)", file=sys.stderr)
        return 1
    texts = LabelTexts(
        call_to_action=t("label.call_to_action"),
        hotline=t("label.hotline", hotline=settings.fairweigh_hotline),
    )
    font_file = settings.fairweigh_label_font or installed_cjk_font()
    if font_file is None:
        print(
            "fairweigh: 没有可嵌入的中文字体，使用标准 CID 字体（部分阅读器显示可能不同）；请安装 fonts-wqy-microhei "
            "或设置 FAIRWEIGH_LABEL_FONT (no CJK font to embed: apt-get install fonts-wqy-microhei, or set it)",
            file=sys.stderr,
        )
    with args.out.open("wb") as out:
        count = render_label_sheet(labels, out, texts=texts, font_file=font_file)
    print(f"已生成 {count} 张标签：{args.out} ({count} labels written)")
    return 0
