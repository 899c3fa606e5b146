"""Reading GS1 codes someone scanned or typed, with `biip`: a GS1 Digital Link URI from any domain
(`…/01/{gtin}/21/{serial}`), a GS1 element string in brackets (`(01)…(21)…`) or raw (FNC1 as GS, 0x1D, with or
without a symbology identifier such as `]d2`), or a bare GTIN. What comes out is the GTIN (14 digits, check digit
verified) and the serial when there is one, and why the code could not be read fully when it could not."""

from __future__ import annotations

import re
import urllib.parse
from dataclasses import dataclass

import biip
from biip import ParseError
from biip.gs1_element_strings import GS1ElementString
from biip.gs1_messages import GS1Message

from lookup.codes.rules import gtin14

# A Digital Link path biip refuses (an AI it does not know, say) still names a GTIN and serial we can look up.
_DL_PAIR = re.compile(r"/01/(\d{8,14})(?:/21/([^/?#]+))?")
_RAW_ELEMENT_STRING = re.compile(r"(?:\][A-Za-z]\d)?01\d{14}")
_MAX_TEXT = 512


@dataclass(frozen=True, slots=True)
class Gs1Reading:
    form: str  # "digital_link", "element_string" or "gtin"
    gtin: str | None  # 14 digits with a valid check digit; None when the code's GTIN is broken or missing
    serial: str | None
    usage: str = ""  # what the GS1 prefix says of the GTIN ("GS1 China"), "" when unknown
    problem: str = ""  # why the code could not be read fully (biip's words), "" when it could


def digital_link_path(gtin: str, serial: str) -> str:
    """The GS1 Digital Link path of an instrument's GTIN and serial: `/01/{gtin}/21/{serial}`, the serial
    percent-encoded as the Digital Link standard asks of characters a path segment cannot hold."""
    return f"/01/{gtin}/21/{urllib.parse.quote(serial, safe='')}"


def looks_gs1(text: str) -> bool:
    """Whether the text is GS1-shaped at all (a bare number is decided by the caller: it may be an asset number)."""
    return (
        ("://" in text and "/01/" in text)
        or text.startswith("(01)")
        or "\x1d" in text
        or bool(_RAW_ELEMENT_STRING.match(text))
    )


def read_gs1(text: str) -> Gs1Reading | None:
    """The GS1 reading of a scanned or typed text, or None when it is not a GS1 code."""
    text = text.strip()[:_MAX_TEXT]
    if "://" in text and "/01/" in text:
        return _digital_link(text)
    if text.startswith("("):
        try:
            return _from_elements("element_string", GS1Message.parse_hri(text).element_strings)
        except (ParseError, ValueError) as exc:  # biip lets urllib's ValueError through
            return Gs1Reading("element_string", None, None, problem=str(exc))
    if looks_gs1(text):
        try:
            message = biip.parse(text).gs1_message
        except (ParseError, ValueError) as exc:  # biip lets urllib's ValueError through
            return Gs1Reading("element_string", None, None, problem=str(exc))
        if message is None:
            return Gs1Reading("element_string", None, None, problem="not a GS1 element string")
        return _from_elements("element_string", message.element_strings)
    if text.isascii() and text.isdigit() and len(text) in (8, 12, 13, 14):
        gtin = gtin14(text)
        problem = "" if gtin else "the check digit fails GS1's mod-10"
        return Gs1Reading("gtin", gtin, None, usage=_usage(gtin), problem=problem)
    return None


def _digital_link(text: str) -> Gs1Reading:
    try:
        result = biip.parse(text)
    except (ParseError, ValueError) as exc:  # biip lets urllib's ValueError through
        problem = str(exc)
    else:
        if result.gs1_digital_link_uri is not None:
            return _from_elements("digital_link", result.gs1_digital_link_uri.element_strings)
        problem = result.gs1_digital_link_uri_error or ""
    match = _DL_PAIR.search(text)
    gtin = gtin14(match[1]) if match else None
    serial = match[2] if match and match[2] else None
    return Gs1Reading("digital_link", gtin, serial, usage=_usage(gtin), problem=problem or "not a Digital Link URI")


def _from_elements(form: str, elements: list[GS1ElementString]) -> Gs1Reading:
    values = {element.ai.ai: element for element in elements}
    gtin_element, serial_element = values.get("01"), values.get("21")
    gtin = gtin_element.gtin.as_gtin_14() if gtin_element and gtin_element.gtin else None
    problem = (gtin_element.gtin_error or "") if gtin_element else "no GTIN (AI 01)"
    serial = serial_element.value if serial_element else None
    return Gs1Reading(form, gtin, serial, usage=_usage(gtin), problem=problem)


def _usage(gtin: str | None) -> str:
    if gtin is None:
        return ""
    try:
        prefix = biip.parse(gtin).gtin
    except ParseError:
        return ""
    return prefix.prefix.usage if prefix and prefix.prefix else ""
