"""An instrument card as the JSON API's answer."""

from __future__ import annotations

from datetime import date
from typing import Any

from lookup.scan import InstrumentCard, VerificationView


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
            {
                "text": card.commitment_text,
                "signed_on": card.commitment_signed_on.isoformat(),
                "signed_online": card.commitment_online,
            }
            if card.commitment_text is not None and card.commitment_signed_on is not None
            else None
        ),
    }
