"""Masking contact details wherever someone who is not handling the case could see them.

The station handling a case sees its complainant's contact in full (they must call back); a handler of another
station, an export, a log line or the public sees only enough to tell two people apart. A reporter's identity is
confidential under the rules (举报人信息保密), so a report's contact is masked for everyone but its own station,
district supervisors included: overseeing a report needs what was reported, not who reported it.
"""

from __future__ import annotations


def mask_phone(phone: str) -> str:
    """`13800138000` → `138****8000`: the operator prefix and last four, as Chinese receipts print them."""
    if len(phone) <= 4:
        return "*" * len(phone)
    if len(phone) < 8:
        return "*" * (len(phone) - 2) + phone[-2:]
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]


def mask_name(name: str) -> str:
    """`王芳` → `王*`, `欧阳娜娜` → `欧***`, `Li Wei` → `L*****`: the family name's first letter, nothing more."""
    if not name:
        return ""
    return name[0] + "*" * (len(name) - 1)


def reveals_contact(intent: str, *, own_station: bool) -> bool:
    """Whether a viewer sees a case's contact in full: the station handling it always (it must call back); anyone
    else allowed to see the case (a district supervisor) a complainant's, never a reporter's."""
    return own_station or intent != "report"
