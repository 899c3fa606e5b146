"""An instrument card as a page's context and as the JSON API's answer."""

from __future__ import annotations

from datetime import date
from typing import Any

from lookup.scan import InstrumentCard, VerificationView
from lookup.status import PRESENTATION
from lookup.vocab import Standing, Status
from qr.codes import format_code
from web.i18n import Catalogue

BADGE_ICONS = {"green": "✔", "amber": "!", "red": "✖", "grey": "–"}


def _status_detail(card: InstrumentCard, status: Status, today: date, t: Catalogue) -> str:
    last = card.last_verification
    if status in (Status.valid, Status.expired) and last is not None:
        return t(f"status.{status.value}.detail", date=last.valid_until.isoformat())
    if status is Status.expiring and last is not None:
        return t("status.expiring.detail", date=last.valid_until.isoformat(), days=(last.valid_until - today).days)
    return t(f"status.{status.value}.detail")


def instrument_page_context(card: InstrumentCard, *, today: date, catalogue: Catalogue) -> dict[str, Any]:
    status = card.status(today)
    presentation = PRESENTATION[status]
    return {
        "card": card,
        "code_display": format_code(card.code),
        "status": status.value,
        "colour": presentation.colour,
        "icon": BADGE_ICONS[presentation.colour],
        "status_detail": _status_detail(card, status, today, catalogue),
        "standing_shown": card.standing is not Standing.ordinary,
        "today": today,
    }


def _verification_json(record: VerificationView) -> dict[str, Any]:
    return {
        "kind": record.kind.value,
        "performed_on": record.performed_on.isoformat(),
        "valid_until": record.valid_until.isoformat(),
        "result": "pass" if record.passed else "fail",
        "certificate_no": record.certificate_no,
        "institution": record.institution,
    }


def instrument_json(card: InstrumentCard, *, today: date, base_url: str) -> dict[str, Any]:
    last = card.last_verification
    return {
        "code": card.code,
        "url": f"{base_url}/i/{card.code}",
        "status": card.status(today).value,
        "as_of": today.isoformat(),
        "kind": card.kind.value,
        "mandatory_verification": card.mandatory,
        "serial_no": card.serial_no,
        "model": card.model,
        "manufacturer": card.manufacturer,
        "pattern_approval": card.pattern_approval,
        "state": card.state.value,
        "merchant": {
            "name": card.merchant_name,
            "stall": card.stall,
            "sector": card.sector.value,
            "standing": card.standing.value,
        },
        "market": (
            {"id": card.market_id, "name": card.market_name, "fair_scale_location": card.fair_scale_location}
            if card.market_id is not None
            else None
        ),
        "station": {"name": card.station_name, "phone": card.station_phone},
        "valid_until": last.valid_until.isoformat() if last else None,
        "last_verification": _verification_json(last) if last else None,
        "verifications": [_verification_json(record) for record in card.verifications],
        "commitment": (
            {"text": card.commitment_text, "signed_on": card.commitment_signed_on.isoformat()}
            if card.commitment_text is not None and card.commitment_signed_on is not None
            else None
        ),
    }
