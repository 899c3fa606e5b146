"""`fairweigh index area …`: the streets and scenic areas the integrity index scores, made of markets."""

from __future__ import annotations

import argparse
import sys

from complaints.programme.index_metrics import AreaError, save_area
from web.cli.users import write_transaction
from web.settings import Settings


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    index = commands.add_parser("index", help="the integrity index").add_subparsers(dest="index_command", required=True)
    area = index.add_parser("area", help="add or change a street or scenic area (replaces its markets)")
    area.add_argument("name")
    area.add_argument("--kind", required=True, choices=["street", "scenic"])
    area.add_argument("--district", default="")
    area.add_argument("--market", action="append", required=True, help="a market of the area (repeat for more)")
    area.set_defaults(run=_area)


def _area(settings: Settings, args: argparse.Namespace) -> int:
    try:
        area_id = write_transaction(
            settings,
            lambda c: save_area(c, args.name, kind=args.kind, district=args.district, markets=args.market),
        )
    except AreaError as exc:
        print(f"fairweigh: {exc}", file=sys.stderr)
        return 2
    print(f"已保存参评区域 {args.name}（{len(set(args.market))} 个市场），评分表：/index/{area_id} (saved)")
    return 0
