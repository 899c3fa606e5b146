"""`fairweigh bot telegram --set-webhook | --polling` against the fake Bot API (tests/fake_telegram.py)."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Callable
from datetime import datetime

import pytest
from aiohttp.test_utils import TestServer

from tests.fake_telegram import BOT_NAME, FakeTelegram
from tests.telegram_support import SECRET, STORY, TOKEN, Shopper, with_telegram
from web.cli.telegram import run_polling
from web.settings import Settings


async def fairweigh(*args: str, env: dict[str, str]) -> tuple[int, str]:
    """Run the command in a process of its own, as a user would; returns its exit code and what it printed."""
    environment = {key: value for key, value in os.environ.items() if not key.startswith("TELEGRAM_")} | env
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", f"from web.cli.main import main; raise SystemExit(main({list(args)!r}))",
        env=environment, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    output, _ = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    return process.returncode, output.decode()


def environment(api: TestServer, **extra: str) -> dict[str, str]:
    return {"TELEGRAM_TOKEN": TOKEN, "TELEGRAM_API_URL": str(api.make_url("")).rstrip("/"),
            "PUBLIC_BASE_URL": "https://jl.example.gov.cn", "FAIRWEIGH_SECRET": "s" * 48, **extra}  # fmt: skip


async def test_set_webhook_registers_the_url_the_secret_and_the_updates_we_answer(
    api: TestServer, fake: FakeTelegram
) -> None:
    code, output = await fairweigh("bot", "telegram", "--set-webhook", env=environment(
        api, TELEGRAM_WEBHOOK_SECRET=SECRET))  # fmt: skip
    assert code == 0, output
    assert "https://jl.example.gov.cn/bot/telegram" in output
    assert fake.webhook == {
        "url": "https://jl.example.gov.cn/bot/telegram",
        "secret_token": SECRET,
        "allowed_updates": ["message", "callback_query"],
    }
    assert TOKEN not in output


async def test_set_webhook_without_a_usable_secret_says_what_to_set(api: TestServer, fake: FakeTelegram) -> None:
    for secret in ("", "has spaces and ü"):
        code, output = await fairweigh("bot", "telegram", "--set-webhook", env=environment(
            api, TELEGRAM_WEBHOOK_SECRET=secret))  # fmt: skip
        assert code == 2
        assert "TELEGRAM_WEBHOOK_SECRET must be set" in output
        assert "Traceback" not in output
    assert not fake.webhook


async def test_telegram_refusing_the_webhook_url_is_reported(api: TestServer, fake: FakeTelegram) -> None:
    env = environment(api, TELEGRAM_WEBHOOK_SECRET=SECRET, PUBLIC_BASE_URL="http://localhost:8080")
    code, output = await fairweigh("bot", "telegram", "--set-webhook", env=env)
    assert code == 2
    assert "Telegram refused the request: Bad webhook: an https url must be provided" in output


async def test_without_a_token_the_commands_say_so() -> None:
    for mode in ("--polling", "--set-webhook"):
        code, output = await fairweigh("bot", "telegram", mode, env={})
        assert code == 2
        assert "TELEGRAM_TOKEN is not set" in output
        assert "Traceback" not in output


async def test_polling_refuses_to_steal_a_registered_webhooks_updates(
    api: TestServer, fake: FakeTelegram, settings: Settings
) -> None:
    fake.webhook = {"url": "https://jl.example.gov.cn/bot/telegram"}
    code, output = await fairweigh("bot", "telegram", "--polling", env=environment(
        api, DATABASE_URL=settings.database_url))  # fmt: skip
    assert code == 2
    assert "a webhook is registered (https://jl.example.gov.cn/bot/telegram)" in output
    assert "--delete-webhook" in output
    assert fake.webhook, "left in place"


async def test_polling_answers_the_dialogue_like_the_webhook(
    api: TestServer,
    fake: FakeTelegram,
    settings: Settings,
    clock: Callable[[], datetime],
    codes: dict[str, str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    fake.webhook = {"url": "https://old.example/bot/telegram"}
    shopper = Shopper(client=None, fake=fake)  # type: ignore[arg-type]  # polling posts nothing to the app
    start, story = shopper.message(text=f"/start {codes['valid']}"), shopper.message(text=STORY)
    done, later = shopper.button("done"), shopper.message(text="还有一件事")
    fake.queue_updates(start, story, done, later)
    polling = with_telegram(settings, str(api.make_url("")).rstrip("/"), secret=None)

    stop = asyncio.Event()
    code = await run_polling(polling, delete_webhook=True, stop=stop, max_updates=3, poll_seconds=1, clock=clock)

    assert code == 0
    said = capsys.readouterr().out
    assert f"polling Telegram as @{BOT_NAME}" in said
    assert "removed the webhook https://old.example/bot/telegram" in said
    assert not fake.webhook
    texts = fake.texts(shopper.chat_id)
    assert "张记水产" in texts[0]
    assert texts[1].startswith("记下了")
    assert "什么时候" in "\n".join(texts[2:]), "the button was taken, the instrument known"
    assert [call["callback_query_id"] for call in fake.called("answerCallbackQuery")] == [done["callback_query"]["id"]]
    # The handled updates were confirmed: only the fourth is still waiting for the next run.
    assert fake.called("getUpdates")[-1]["offset"] == done["update_id"] + 1
    assert [update["update_id"] for update in fake.waiting] == [later["update_id"]]
