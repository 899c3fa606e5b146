"""The complainant's secret for reading their case: only its hash is stored."""

from __future__ import annotations

import base64
import hashlib
import hmac


def case_token(secret: str, ref: str) -> str:
    """The complainant's secret for reading the case: derived from the reference, so a resend can be given the
    same link again, and only its hash is stored."""
    digest = hmac.new(secret.encode(), b"complaint-token:" + ref.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:16]).rstrip(b"=").decode()


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_matches(token: str, stored_hash: str) -> bool:
    return hmac.compare_digest(token_hash(token), stored_hash)
