from __future__ import annotations

import logging
from pathlib import Path

import pytest
from pydantic import ValidationError

from web.settings import ConfigurationError, Settings, normalise_database_url


@pytest.mark.parametrize(
    ("pasted", "expected"),
    [
        ("sqlite:///data/fw.db", "sqlite+aiosqlite:///data/fw.db"),
        ("sqlite+aiosqlite:////abs/fw.db", "sqlite+aiosqlite:////abs/fw.db"),
        ("postgres://u:p@db:5432/fw", "postgresql+asyncpg://u:p@db:5432/fw"),
        ("postgresql://u@db/fw", "postgresql+asyncpg://u@db/fw"),
        ("postgresql+psycopg2://u@db/fw", "postgresql+asyncpg://u@db/fw"),
        ("postgres://u:p@db/fw?sslmode=require", "postgresql+asyncpg://u:p@db/fw?ssl=require"),
        ("  postgresql://u@db/fw  ", "postgresql+asyncpg://u@db/fw"),
    ],
)
def test_database_urls_people_paste(pasted: str, expected: str) -> None:
    assert normalise_database_url(pasted, cwd=Path("/srv")) == expected


def test_unset_database_is_a_file_in_the_working_directory(tmp_path: Path) -> None:
    assert normalise_database_url("", cwd=tmp_path) == f"sqlite+aiosqlite:///{tmp_path.resolve()}/fairweigh.db"


@pytest.mark.parametrize("bad", ["mysql://u@h/db", "just-a-path.db"])
def test_unsupported_database_urls_are_refused_with_a_reason(bad: str) -> None:
    with pytest.raises(ConfigurationError, match="DATABASE_URL"):
        normalise_database_url(bad, cwd=Path("."))


def test_missing_secret_warns_loudly_in_development(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        secret = Settings(fairweigh_env="development", fairweigh_secret=None).secret()
    assert len(secret) >= 32
    assert "FAIRWEIGH_SECRET is not set" in caplog.text


def test_missing_secret_refuses_production() -> None:
    with pytest.raises(ConfigurationError, match="FAIRWEIGH_SECRET"):
        Settings(fairweigh_env="production", fairweigh_secret=None).secret()
    assert Settings(fairweigh_env="production", fairweigh_secret="s" * 40).secret() == "s" * 40


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgres://u@db/fw")
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://jl.example.gov.cn/")
    settings = Settings()
    assert settings.async_database_url == "postgresql+asyncpg://u@db/fw"
    assert settings.public_base_url == "https://jl.example.gov.cn"


def test_unknown_time_zone_is_a_configuration_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAIRWEIGH_TIMEZONE", "Mars/Olympus")
    with pytest.raises(ValueError, match="unknown time zone"):
        Settings()


def test_the_development_secret_is_warned_about_once_per_start(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        settings = Settings(fairweigh_env="development", fairweigh_secret=None)
        copied = settings.model_copy(update={"public_base_url": "http://127.0.0.1:8080"})
        secrets = {settings.secret(), settings.secret(), copied.secret()}
    assert len(secrets) == 1
    assert caplog.text.count("FAIRWEIGH_SECRET is not set") == 1


def test_a_copy_is_checked_like_a_build() -> None:
    settings = Settings(fairweigh_env="development", fairweigh_secret=None)
    with pytest.raises(ConfigurationError, match="FAIRWEIGH_SECRET"):
        settings.model_copy(update={"fairweigh_env": "production"})
    changed = settings.model_copy(update={"fairweigh_deadline_accept_days": 10, "upstream_12315_url": "https://u"})
    assert changed.deadlines.accept_days == 10
    assert settings.deadlines.accept_days == 7


def test_half_configured_forwarding_is_off_and_said_once_at_start(caplog: pytest.LogCaptureFixture) -> None:
    half = Settings(fairweigh_secret="s" * 40, upstream_12315_url="https://12315.example/api")
    with caplog.at_level(logging.INFO):
        assert not any(half.forwarding_enabled for _ in range(3))
    assert "UPSTREAM_12315_SECRET" not in caplog.text
    with caplog.at_level(logging.INFO):
        half.announce()
    assert caplog.text.count("UPSTREAM_12315_SECRET is not") == 1
    whole = half.model_copy(update={"upstream_12315_secret": "k" * 32})
    assert whole.forwarding_enabled


def test_the_database_file_is_resolved_when_the_settings_are_built(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    settings = Settings(database_url="")
    monkeypatch.chdir(tmp_path.parent)
    assert settings.async_database_url == f"sqlite+aiosqlite:///{tmp_path.resolve()}/fairweigh.db"
    assert settings.is_sqlite


@pytest.mark.parametrize("days", ["0", "366", "seven"])
def test_a_deadline_figure_out_of_range_is_refused_when_built(monkeypatch: pytest.MonkeyPatch, days: str) -> None:
    monkeypatch.setenv("FAIRWEIGH_DEADLINE_VERIFY_DAYS", days)
    with pytest.raises(ValidationError, match="fairweigh_deadline_verify_days"):
        Settings()
