"""The dialogue over the conversation corpus (tests/dialogue_corpus.py): how many messages a shopper sends to get
a receipt, and how often the bot asks for what it was told, stores a refusal as data, or makes a case of chit-chat.

`python bench/dialogue.py [--verbose]`

The app runs in-process on a new SQLite file with the demo district, as `fairweigh serve --demo` seeds it; each
script is one new WeChat follower. Targets (issue 13): a complaint told with place, time and amounts in one
message reaches its receipt in at most 6 shopper messages; questions about facts already given, refusals stored
as data and cases made from chit-chat: 0. Reported, not enforced.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aiohttp.test_utils import TestClient, TestServer

from lookup.demo import seed_demo
from tests.dialogue_corpus import CONVERSATIONS
from tests.dialogue_shopper import Outcome, play
from web.app import create_app
from web.db import create_engine, upgrade
from web.keys import DIALOGUE
from web.settings import Settings

ONE_MESSAGE_TARGET = 6


async def run_corpus() -> list[Outcome]:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{folder}/bench.db"
        engine = create_engine(url)
        await upgrade(engine)
        await seed_demo(engine, today=datetime.now(UTC).date(), base_url="http://fairweigh.test")
        settings = Settings(database_url=url, fairweigh_env="test", fairweigh_secret="bench-" + "x" * 40)
        async with TestClient(TestServer(create_app(settings))) as client:
            service = client.app[DIALOGUE]
            outcomes = [
                await play(service, engine, run, chat_user=f"corpus-{n}") for n, run in enumerate(CONVERSATIONS)
            ]
        await engine.dispose()
    return outcomes


def report(outcomes: list[Outcome], verbose: bool) -> None:
    stories = [o for o in outcomes if o.script.makes_case]
    chit = [o for o in outcomes if not o.script.makes_case]
    reached = [o for o in stories if o.case is not None]
    one_message = [o for o in reached if {"where", "when", "amounts"} <= o.script.told and len(o.script.opening) == 1]
    counts = [o.messages for o in reached]
    print(f"conversations: {len(outcomes)} ({len(stories)} stories, {len(chit)} chit-chat)")
    print(f"receipts: {len(reached)} of {len(stories)} stories; stuck or dropped: {len(stories) - len(reached)}")
    if counts:
        print(f"shopper messages to the receipt: mean {statistics.mean(counts):.2f}, max {max(counts)}")
    if one_message:
        most = max(o.messages for o in one_message)
        print(f"one-message stories ({len(one_message)}): max {most} messages (target ≤ {ONE_MESSAGE_TARGET})")
    print(f"questions about facts already given: {sum(len(o.reasked) for o in outcomes)} (target 0)")
    print(f"refusals stored as data: {sum(len(o.stored_refusals) for o in outcomes)} (target 0)")
    print(f"cases made from chit-chat: {sum(o.case is not None for o in chit)} (target 0)")
    intents = [o for o in reached if o.script.intent]
    stations = [o for o in reached if o.script.station]
    if intents and o_case(intents):
        right = sum(o.case is not None and o.case["intent"] == o.script.intent for o in intents)
        print(f"intent as the script means it: {right} of {len(intents)}")
    if stations:
        right = sum(o.case is not None and o.case["station"] == o.script.station for o in stations)
        print(f"routed to the station of the place named: {right} of {len(stations)}")
    for o in outcomes:
        if o.script.gap:
            print(f"known gap, {o.script.title}: {o.script.gap}")
    if verbose:
        for o in outcomes:
            print(
                f"  {o.script.title:24} msgs={o.messages:2} reasked={o.reasked} refusals={o.stored_refusals}"
                f" case={o.case}"
            )


def o_case(outcomes: list[Outcome]) -> bool:
    return any(o.case is not None for o in outcomes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--verbose", action="store_true", help="one line per conversation")
    args = parser.parse_args()
    report(asyncio.run(run_corpus()), args.verbose)


if __name__ == "__main__":
    main()
