from __future__ import annotations

import logging
from pathlib import Path

import pytest

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
