"""An instrument's legal field of use (用途): the five fields in which verification is compulsory (强制检定).

The ledger may state it (column ``use`` / 用途); when it does not, the kind decides: a scale, a pump or a meter
settles trade, a blood-pressure meter or a refractometer serves health. Safety protection, environmental
monitoring and law enforcement cannot be told from the kind, so only a ledger says so.
"""

from __future__ import annotations

from enum import StrEnum

from lookup.vocab import InstrumentKind


class LegalUse(StrEnum):
    trade_settlement = "trade_settlement"  # 贸易结算
    safety = "safety"  # 安全防护
    medical = "medical"  # 医疗卫生
    environment = "environment"  # 环境监测
    law_enforcement = "law_enforcement"  # 行政执法


USE_NAMES_ZH: dict[LegalUse, str] = {
    LegalUse.trade_settlement: "贸易结算",
    LegalUse.safety: "安全防护",
    LegalUse.medical: "医疗卫生",
    LegalUse.environment: "环境监测",
    LegalUse.law_enforcement: "行政执法",
}

_MEDICAL_KINDS = frozenset({InstrumentKind.refractometer, InstrumentKind.blood_pressure_meter})
_ALIASES: dict[str, LegalUse] = {
    "贸易": LegalUse.trade_settlement,
    "结算": LegalUse.trade_settlement,
    "安全": LegalUse.safety,
    "安全防护用": LegalUse.safety,
    "医疗": LegalUse.medical,
    "医疗卫生用": LegalUse.medical,
    "环境": LegalUse.environment,
    "环保": LegalUse.environment,
    "执法": LegalUse.law_enforcement,
}
_BY_NAME: dict[str, LegalUse] = {
    **{use.value: use for use in LegalUse},
    **{name: use for use, name in USE_NAMES_ZH.items()},
    **_ALIASES,
}


def default_use(kind: InstrumentKind) -> LegalUse:
    """The field of use a kind of instrument is in unless the ledger says otherwise."""
    return LegalUse.medical if kind in _MEDICAL_KINDS else LegalUse.trade_settlement


def parse_use(text: str) -> LegalUse | None:
    """The field named by a ledger cell (Chinese name, short form or code), or None when unknown."""
    cleaned = text.strip().replace(" ", "").replace("\u3000", "")
    return _BY_NAME.get(cleaned) or _BY_NAME.get(cleaned.lower())
