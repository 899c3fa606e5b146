"""All configuration, from environment variables only, built once in the entry point and passed down.

Everything derived from the variables (the database URL with the working directory resolved, the signing secret,
the deadline policy, which optional features are on) is worked out and checked when the settings are built, so a
misconfiguration stops the process at start-up with one clear message, and reading a setting later neither logs
nor touches the file system. What is off or half configured is logged once, by :meth:`Settings.announce`, when
a process starts serving.
"""

from __future__ import annotations

import ipaddress
import logging
import secrets
from collections.abc import Mapping
from contextvars import ContextVar
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal, Self
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, PrivateAttr, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from complaints.deadlines.policy import MAX_DAYS, DeadlinePolicy
from complaints.personal_data.retention import RetentionPolicy

log = logging.getLogger(__name__)

# web.auth.models.StaffRole's values: this layer cannot import it.
STAFF_ROLES = ("handler", "supervisor", "admin", "volunteer")
MAX_RETAIN_DAYS = 3650  # ten years: longer is a mistake in the variable, not a policy

# Set while model_copy builds its copy: a copy is not a new start-up, so it logs nothing.
_COPYING: ContextVar[bool] = ContextVar("fairweigh_settings_copying", default=False)


class ConfigurationError(Exception):
    """A setting that makes starting unsafe or impossible; the message says what to change."""


def normalise_database_url(raw: str, *, cwd: Path) -> str:
    """Map what people paste (Heroku-style ``postgres://``, plain ``sqlite:///``) to the async drivers."""
    url = raw.strip()
    if not url:
        return f"sqlite+aiosqlite:///{(cwd / 'fairweigh.db').resolve()}"
    scheme, sep, rest = url.partition("://")
    if not sep:
        raise ConfigurationError(f"DATABASE_URL is not a URL: {url!r} (expected sqlite:///path or postgresql://…)")
    base = scheme.lower().split("+", 1)[0]
    if base == "sqlite":
        return f"sqlite+aiosqlite://{rest}"
    if base in {"postgres", "postgresql"}:
        parts = urlsplit(f"postgresql+asyncpg://{rest}")
        # asyncpg spells libpq's sslmode as ssl; a pasted managed-database URL usually carries sslmode.
        query = [("ssl", v) if k == "sslmode" else (k, v) for k, v in parse_qsl(parts.query)]
        return urlunsplit(parts._replace(query=urlencode(query)))
    raise ConfigurationError(f"DATABASE_URL scheme {scheme!r} is not supported: use sqlite:// or postgresql://")


def _value(secret: SecretStr | None) -> str:
    return secret.get_secret_value() if secret is not None else ""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", case_sensitive=False, extra="ignore")

    database_url: str = ""
    fairweigh_secret: SecretStr | None = None
    fairweigh_env: Literal["development", "test", "production"] = "development"
    public_base_url: str = "http://localhost:8080"
    fairweigh_timezone: str = "Asia/Shanghai"
    fairweigh_hotline: str = "12315"
    # A TrueType/OpenType font to embed in label sheets; unset uses the standard CID font STSong-Light.
    fairweigh_label_font: Path | None = None
    # Seconds a lookup page may be cached by browsers and proxies (capped so no answer outlives midnight).
    fairweigh_lookup_max_age: int = Field(default=300, ge=0, le=3600)
    # One log line per request costs about as much as a scan's database reads; a reverse proxy usually logs.
    fairweigh_access_log: bool = False
    # Where complaints are forwarded (the province's 12315 system); unset turns forwarding off.
    upstream_12315_url: str = ""
    # The key both sides use to sign forwards (HMAC-SHA256); required when UPSTREAM_12315_URL is set.
    upstream_12315_secret: SecretStr | None = None
    # The Telegram bot (python-telegram-bot): unset TELEGRAM_TOKEN turns the bot off.
    telegram_token: SecretStr | None = None
    # Telegram sends it back in X-Telegram-Bot-Api-Secret-Token on every webhook call; required for the webhook.
    telegram_webhook_secret: SecretStr | None = None
    # The bot's @username, for the "Complain via Telegram" deep link on the lookup page.
    telegram_bot_username: str = ""
    # The Bot API server (a self-hosted one, or the tests' fake).
    telegram_api_url: str = "https://api.telegram.org"
    # The WeChat official account (wechatpy): unset WECHAT_APP_ID, WECHAT_APP_SECRET or WECHAT_TOKEN turns it off.
    wechat_app_id: str = ""
    wechat_app_secret: SecretStr | None = None
    wechat_token: SecretStr | None = None
    # The EncodingAESKey of safe mode; unset: plain mode only.
    wechat_aes_key: SecretStr | None = None
    # The template used to reach a follower after WeChat's 48-hour customer-service window; unset: wait for them.
    wechat_template_id: str = ""
    # For templates created since 2023, whose fields have other names and limits: first=thing1,keyword1=…
    wechat_template_fields: str = ""
    wechat_api_url: str = "https://api.weixin.qq.com"
    # WeChat waits 5 s for a passive reply, then retries and at last tells the user the account is unavailable. A
    # turn that takes longer than this (a database busy with an import) is answered "success" at once and its
    # answer follows as a customer-service message from the outbox.
    wechat_reply_seconds: float = Field(default=4.0, gt=0, le=4.5)
    # The official account's name, as the lookup page tells shoppers to search for it ("在微信中投诉").
    wechat_account_name: str = ""
    # The integrity index's scoring sheet (TOML, as complaints/programme/index_sheets/street.toml); unset: that one.
    fairweigh_index_sheet: Path | None = None
    # The scenic areas' sheet (as complaints/programme/index_sheets/scenic.toml); unset: that one.
    fairweigh_scenic_sheet: Path | None = None
    # Household meters' terms (as lookup/meter_rotation.toml) and the district's targets (as
    # complaints/programme/targets.toml); unset: the shipped files.
    fairweigh_meter_rotation: Path | None = None
    fairweigh_targets: Path | None = None
    # Deadline figures in working days (DeadlinePolicy): FAIRWEIGH_DEADLINE_ACCEPT_DAYS=7 and so on.
    fairweigh_deadline_accept_days: int = Field(default=7, ge=1, le=MAX_DAYS)
    fairweigh_deadline_mediate_days: int = Field(default=45, ge=1, le=MAX_DAYS)
    fairweigh_deadline_verify_days: int = Field(default=15, ge=1, le=MAX_DAYS)
    fairweigh_deadline_verify_extension_days: int = Field(default=15, ge=1, le=MAX_DAYS)
    fairweigh_deadline_notify_reporter_days: int = Field(default=5, ge=1, le=MAX_DAYS)
    fairweigh_deadline_odr_days: int = Field(default=10, ge=1, le=MAX_DAYS)
    # Days personal data is kept (the README says why each default): after the case ends for the first three,
    # since the last message for dialogue drafts (the same setting as chat ids), since written for the logs.
    fairweigh_retain_contact_days: int = Field(default=200, ge=1, le=MAX_RETAIN_DAYS)
    fairweigh_retain_photo_days: int = Field(default=200, ge=1, le=MAX_RETAIN_DAYS)
    fairweigh_retain_chat_days: int = Field(default=30, ge=1, le=MAX_RETAIN_DAYS)
    fairweigh_retain_login_days: int = Field(default=180, ge=1, le=MAX_RETAIN_DAYS)
    fairweigh_retain_access_log_days: int = Field(default=1095, ge=1, le=MAX_RETAIN_DAYS)
    # The local hour at which `fairweigh worker` purges what is due, once a night.
    fairweigh_purge_hour: int = Field(default=3, ge=0, le=23)
    # /metrics (Prometheus): on the app's port for a scraper sending this bearer token, and/or on its own address
    # (HOST:PORT, no token) for `serve` and `worker` alike. Neither set: no /metrics and no per-request counting.
    fairweigh_metrics_token: SecretStr | None = None
    fairweigh_metrics_listen: str = ""
    # `json`: one JSON object per log line, for log shippers; `text` for people.
    fairweigh_log_format: Literal["text", "json"] = "text"
    # Reverse proxies whose X-Forwarded-For is believed (IPs or CIDRs, comma-separated); unset: the peer address is
    # the client's. Sign-in throttling counts by the client's address, so a proxy in front must be named here.
    fairweigh_trusted_proxies: str = ""
    # Staff roles that must enrol a second factor (TOTP) before using any page, comma-separated; empty: none.
    fairweigh_second_factor_roles: str = "admin,supervisor"
    # SMS to consumers who gave a mobile number (README "Messages by SMS and e-mail"): the provider, its key pair
    # (Alibaba Cloud AccessKey ID/secret, Tencent Cloud SecretId/SecretKey), the approved signature (签名, without
    # 【】) and template ids; Tencent also needs the SmsSdkAppId. Unset provider: texts wait in the outbox.
    fairweigh_sms_provider: Literal["", "aliyun", "tencent"] = ""
    fairweigh_sms_key_id: str = ""
    fairweigh_sms_key_secret: SecretStr | None = None
    fairweigh_sms_sign_name: str = ""
    fairweigh_sms_app_id: str = ""
    fairweigh_sms_template_received: str = ""
    fairweigh_sms_template_update: str = ""
    fairweigh_sms_template_closed: str = ""  # unset: a closed case is told with the update template
    fairweigh_sms_template_merchant_link: str = ""  # unset: a merchant's link waits in the outbox for it
    fairweigh_sms_template_reminder: str = ""  # unset: merchants' verification reminders wait for it
    fairweigh_sms_region: str = ""  # Tencent Cloud's region (ap-guangzhou when unset)
    fairweigh_sms_endpoint: str = ""  # the provider's API (scheme://host); unset: its public endpoint
    # E-mail through SMTP: unset host turns it off. Security: `starttls` (port 587), `tls` (465) or `none`.
    fairweigh_smtp_host: str = ""
    fairweigh_smtp_port: int = Field(default=587, ge=1, le=65535)
    fairweigh_smtp_security: Literal["starttls", "tls", "none"] = "starttls"
    fairweigh_smtp_username: str = ""
    fairweigh_smtp_password: SecretStr | None = None
    fairweigh_mail_from: str = ""
    # The stations' morning digest: WeCom group robots as `站名=https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…`
    # and/or e-mail addresses as `站名=address`, several separated by `;`; sent from this local hour.
    fairweigh_wecom_webhooks: SecretStr | None = None
    fairweigh_digest_emails: str = ""
    fairweigh_digest_hour: int = Field(default=8, ge=0, le=23)

    # Derived once, when the settings are built (see _derive).
    _database_url: str = PrivateAttr("")
    _secret: str = PrivateAttr("")
    _zone: ZoneInfo = PrivateAttr(default_factory=lambda: ZoneInfo("UTC"))
    _deadlines: DeadlinePolicy = PrivateAttr(default_factory=DeadlinePolicy)
    _retention: RetentionPolicy = PrivateAttr(default_factory=RetentionPolicy)
    _forwarding: bool = PrivateAttr(False)
    _sms: bool = PrivateAttr(False)
    _mail: bool = PrivateAttr(False)
    _feature_lines: tuple[tuple[int, str], ...] = PrivateAttr(())

    @field_validator("public_base_url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @field_validator("fairweigh_metrics_listen")
    @classmethod
    def _listen_address(cls, value: str) -> str:
        value = value.strip()
        if not value:
            return value
        _, colon, port = value.rpartition(":")
        if not colon or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError(f"expected HOST:PORT (e.g. 127.0.0.1:9464), got {value!r}")
        return value

    @field_validator("fairweigh_trusted_proxies")
    @classmethod
    def _proxies(cls, value: str) -> str:
        for part in filter(None, (item.strip() for item in value.split(","))):
            try:
                ipaddress.ip_network(part, strict=False)
            except ValueError as exc:
                raise ValueError(f"not an IP address or network: {part!r}") from exc
        return value

    @field_validator("fairweigh_second_factor_roles")
    @classmethod
    def _factor_roles(cls, value: str) -> str:
        unknown = {item.strip() for item in value.split(",") if item.strip()} - set(STAFF_ROLES)
        if unknown:
            raise ValueError(f"unknown staff roles {sorted(unknown)} (known: {', '.join(STAFF_ROLES)})")
        return value

    @field_validator("fairweigh_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @model_validator(mode="after")
    def _derive(self) -> Self:
        """Work out and check everything derived from the fields; the development-secret warning is logged here,
        once per build (a copy made with :meth:`model_copy` is not a new build and stays quiet)."""
        self._database_url = normalise_database_url(self.database_url, cwd=Path.cwd())
        self._secret = self._signing_secret(warn=not _COPYING.get())
        self._zone = ZoneInfo(self.fairweigh_timezone)
        self._deadlines = DeadlinePolicy(
            accept_days=self.fairweigh_deadline_accept_days,
            mediate_days=self.fairweigh_deadline_mediate_days,
            verify_days=self.fairweigh_deadline_verify_days,
            verify_extension_days=self.fairweigh_deadline_verify_extension_days,
            notify_reporter_days=self.fairweigh_deadline_notify_reporter_days,
            odr_days=self.fairweigh_deadline_odr_days,
        )
        self._retention = RetentionPolicy(
            contact=timedelta(days=self.fairweigh_retain_contact_days),
            photos=timedelta(days=self.fairweigh_retain_photo_days),
            chat=timedelta(days=self.fairweigh_retain_chat_days),
            dialogue_drafts=timedelta(days=self.fairweigh_retain_chat_days),
            login_attempts=timedelta(days=self.fairweigh_retain_login_days),
            access_log=timedelta(days=self.fairweigh_retain_access_log_days),
        )
        self._forwarding, forwarding_line = self._upstream_forwarding()
        self._sms, sms_line = self._sms_channel()
        self._mail, mail_line = self._mail_channel()
        self._feature_lines = (forwarding_line, sms_line, mail_line)
        return self

    def _signing_secret(self, *, warn: bool) -> str:
        if _value(self.fairweigh_secret):
            return _value(self.fairweigh_secret)
        if self.fairweigh_env == "production":
            raise ConfigurationError(
                "FAIRWEIGH_SECRET is not set and FAIRWEIGH_ENV=production: refusing to start. "
                "Set FAIRWEIGH_SECRET to a long random value (e.g. `python -c 'import secrets; "
                "print(secrets.token_urlsafe(48))'`)."
            )
        if warn:
            log.warning(
                "!!! FAIRWEIGH_SECRET is not set: using a throw-away development secret. Sessions and tokens "
                "will not survive a restart. Never run like this in production. !!!"
            )
        return _DEVELOPMENT_SECRET

    def _upstream_forwarding(self) -> tuple[bool, tuple[int, str]]:
        """Forward cases upstream only with both the URL and the signing key; the start-up line says which."""
        if not self.upstream_12315_url:
            return False, (
                logging.INFO,
                "UPSTREAM_12315_URL is not set: cases are not forwarded to an upstream 12315 system.",
            )
        if not _value(self.upstream_12315_secret):
            return False, (
                logging.ERROR,
                "UPSTREAM_12315_URL is set but UPSTREAM_12315_SECRET is not: forwarding to 12315 is OFF until "
                "both are set (forwards must be signed).",
            )
        return True, (logging.INFO, "Complaints and reports are forwarded to the upstream 12315 system.")

    def _sms_channel(self) -> tuple[bool, tuple[int, str]]:
        """SMS needs the provider, the keys, the signature and the two required templates (and Tencent's app id)."""
        waiting = "texts to consumers wait in the outbox and go out once it is configured"
        if not self.fairweigh_sms_provider:
            return False, (logging.INFO, f"FAIRWEIGH_SMS_PROVIDER is not set: SMS is off; {waiting}.")
        wanted = {
            "FAIRWEIGH_SMS_KEY_ID": self.fairweigh_sms_key_id,
            "FAIRWEIGH_SMS_KEY_SECRET": _value(self.fairweigh_sms_key_secret),
            "FAIRWEIGH_SMS_SIGN_NAME": self.fairweigh_sms_sign_name,
            "FAIRWEIGH_SMS_TEMPLATE_RECEIVED": self.fairweigh_sms_template_received,
            "FAIRWEIGH_SMS_TEMPLATE_UPDATE": self.fairweigh_sms_template_update,
        }
        if self.fairweigh_sms_provider == "tencent":
            wanted["FAIRWEIGH_SMS_APP_ID"] = self.fairweigh_sms_app_id
        missing = [name for name, value in wanted.items() if not value.strip()]
        if missing:
            line = f"FAIRWEIGH_SMS_PROVIDER is set but {', '.join(missing)} not: SMS is OFF; {waiting}."
            return False, (logging.ERROR, line)
        return True, (logging.INFO, f"SMS goes out through {self.fairweigh_sms_provider}.")

    def _mail_channel(self) -> tuple[bool, tuple[int, str]]:
        waiting = "e-mails wait in the outbox and go out once it is configured"
        if not self.fairweigh_smtp_host:
            return False, (logging.INFO, f"FAIRWEIGH_SMTP_HOST is not set: e-mail is off; {waiting}.")
        if not self.fairweigh_mail_from:
            return False, (
                logging.ERROR,
                f"FAIRWEIGH_SMTP_HOST is set but FAIRWEIGH_MAIL_FROM is not: e-mail is OFF; {waiting}.",
            )
        return True, (logging.INFO, f"E-mail goes out through {self.fairweigh_smtp_host}:{self.fairweigh_smtp_port}.")

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        """A copy with some fields changed, validated and derived again (pydantic's own copy would keep the old
        derived values and take the changes unchecked); unlike a build it logs nothing."""
        changes = dict(update or {})
        copying = _COPYING.set(True)
        try:
            # Every field is given, so nothing is read from the environment again.
            copied = type(self)(**{**self.model_dump(), **changes})
        finally:
            _COPYING.reset(copying)
        copied.__pydantic_fields_set__ = self.model_fields_set | set(changes)
        return copied

    def announce(self) -> None:
        """Log, once as a process starts serving, which optional features this configuration leaves off."""
        for level, line in self._feature_lines:
            log.log(level, line)

    @property
    def async_database_url(self) -> str:
        """DATABASE_URL for the async drivers, a relative SQLite path resolved against the directory of the build."""
        return self._database_url

    @property
    def is_sqlite(self) -> bool:
        return self._database_url.startswith("sqlite")

    @property
    def zone(self) -> ZoneInfo:
        return self._zone

    @property
    def deadlines(self) -> DeadlinePolicy:
        """The FAIRWEIGH_DEADLINE_* figures as the policy intake and the queue count with."""
        return self._deadlines

    @property
    def retention(self) -> RetentionPolicy:
        """The FAIRWEIGH_RETAIN_* periods as the purge applies them."""
        return self._retention

    @property
    def metrics_listen(self) -> tuple[str, int] | None:
        """(host, port) of FAIRWEIGH_METRICS_LISTEN, checked when the settings are built; None when unset."""
        if not self.fairweigh_metrics_listen:
            return None
        host, _, port = self.fairweigh_metrics_listen.rpartition(":")
        return host.strip("[]") or "127.0.0.1", int(port)

    @property
    def metrics_enabled(self) -> bool:
        return bool(_value(self.fairweigh_metrics_token)) or self.metrics_listen is not None

    @property
    def forwarding_enabled(self) -> bool:
        """Both UPSTREAM_12315_URL and UPSTREAM_12315_SECRET are set (see :meth:`announce` for the log line)."""
        return self._forwarding

    @property
    def wecom_webhooks(self) -> dict[str, str]:
        """FAIRWEIGH_WECOM_WEBHOOKS as station name → robot URL."""
        return _pairs(_value(self.fairweigh_wecom_webhooks))

    @property
    def digest_emails(self) -> dict[str, str]:
        """FAIRWEIGH_DIGEST_EMAILS as station name → address."""
        return _pairs(self.fairweigh_digest_emails)

    @property
    def sms_enabled(self) -> bool:
        """Every FAIRWEIGH_SMS_* setting the chosen provider needs is set (see :meth:`announce` for the log line)."""
        return self._sms

    @property
    def mail_enabled(self) -> bool:
        """FAIRWEIGH_SMTP_HOST and FAIRWEIGH_MAIL_FROM are set."""
        return self._mail

    @property
    def chat_entries(self) -> tuple[str, str]:
        """(Telegram bot username, WeChat account name) to offer on the lookup page: only channels that work."""
        telegram = self.telegram_bot_username.lstrip("@") if self.telegram_token is not None else ""
        wechat = self.wechat_account_name if self.wechat_app_id and self.wechat_token is not None else ""
        return telegram, wechat

    @property
    def trusted_proxies(self) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
        parts = (item.strip() for item in self.fairweigh_trusted_proxies.split(","))
        return tuple(ipaddress.ip_network(part, strict=False) for part in parts if part)

    @property
    def second_factor_roles(self) -> frozenset[str]:
        return frozenset(item.strip() for item in self.fairweigh_second_factor_roles.split(",") if item.strip())

    def secret(self) -> str:
        """The signing secret: FAIRWEIGH_SECRET, or outside production a throw-away one (warned about at build)."""
        return self._secret


def _pairs(raw: str) -> dict[str, str]:
    """`name=value;name=value` as a dict (the value may hold `=`, as a URL's query does)."""
    pairs = (part.split("=", 1) for part in raw.split(";") if "=" in part)
    return {name.strip(): value.strip() for name, value in pairs if name.strip() and value.strip()}


_DEVELOPMENT_SECRET = secrets.token_urlsafe(48)
