"""What a channel hands to intake, and the checks every channel's input passes before anything is stored.

Every refusal is a :class:`SubmissionError` with a stable code, the field it concerns and a message in Chinese
and English, so the form, the JSON API and the bots can each say exactly what to fix.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field, replace

from complaints.photos import MAX_PHOTOS, PreparedPhoto
from lookup.free_text import clean_block, clean_line
from lookup.problems import Kind, Problem

MAX_TEXT_CHARS = 5000  # 12315's own web form takes 500; shoppers pasting a whole chat log get ten times that
MAX_NAME_CHARS = 50
CHANNELS = frozenset({"web", "api", "telegram", "wechat"})  # what a consumer may name in the API
VOLUNTEER = "volunteer"  # the channel of a report from a volunteer's visit (never given by a consumer)
CASE_CHANNELS = CHANNELS | {VOLUNTEER}  # every channel a case may have come through
_PHONE_NOISE = re.compile(r"[\s\-()（）]")
# A number someone can be called back on: a landline without its area code has 7 digits; five or six are
# service numbers (12315 itself), never a consumer's own.
_PHONE = re.compile(r"\+?[0-9]{7,15}")  # ASCII digits only (NFKC first): \d would take any script's


# Input that is not what the channel's format says (400); anything else refused is well-formed input whose
# content cannot be taken (422).
MALFORMED = frozenset({"bad_json", "bad_encoding", "bad_type", "bad_channel", "bad_form"})


class SubmissionError(Problem, ValueError):
    """Input that cannot be taken: malformed (:data:`MALFORMED`, a bad request), too large, or unprocessable."""

    kind = Kind.unprocessable

    def __init__(
        self, code: str, chinese: str, english: str, *, field: str | None = None, kind: Kind | None = None
    ) -> None:
        usual = Kind.bad_request if code in MALFORMED else Kind.too_large if code == "too_large" else None
        super().__init__(code, chinese, english, field=field, kind=kind or usual)

    def __str__(self) -> str:
        return f"{self.chinese} ({self.english})"


@dataclass(frozen=True)
class Contact:
    """Who to answer. Kept apart from the words (`ComplaintContact`) and never logged."""

    name: str = ""
    phone: str = ""
    channel_user: str = ""  # WeChat openid or Telegram chat id: how the bot answers
    consent: bool = False  # may a handler call or message them

    @property
    def identity(self) -> str:
        """What makes two messages "from the same consumer", or "" when nothing does (an anonymous web form)."""
        if self.channel_user:
            return f"user:{self.channel_user}"
        if self.phone:
            return f"phone:{self.phone}"
        return ""


@dataclass(frozen=True)
class Submission:
    text: str
    channel: str
    code: str | None = None  # the sticker's code, normalised; the caller has checked it names an instrument
    contact: Contact = field(default_factory=Contact)
    photos: tuple[PreparedPhoto, ...] = ()
    # The consumer's own words when ``text`` also holds a bot's labelled answers (地点：…): what is classified,
    # so the case gets the reading the bot showed the consumer. Empty: ``text`` is all theirs.
    account: str = ""
    # The consumer's own choice of 投诉 (complaint) or 举报 (report), which the case follows whatever the
    # classifier read; None: they did not choose, and the classifier's reading stands.
    intent: str | None = None
    # What the consumer declined to give when asked (name, phone): kept on the case so a handler knows it was asked.
    refused: tuple[str, ...] = ()
    # The consumer agreed that an ODR merchant settle first (complaints/odr); taken only for a 投诉 with a phone.
    odr: bool = False
    # Where it happened, as the consumer last answered or corrected it (the bot's 地点): routed by before the rest of
    # the text, so that 「不是东街 是南门农贸市场」 wins over the 东街 of the story. Empty: the text alone is routed.
    place: str = ""


def cleaned(submission: Submission) -> Submission:
    """The submission with the one rule for free text applied to its words and its contact's name: the door every
    channel passes, so that a channel whose adapter forgot a field still stores nothing that hides or breaks."""
    contact = submission.contact
    return replace(
        submission,
        text=clean_block(submission.text),
        account=clean_block(submission.account),
        place=clean_line(submission.place),
        contact=replace(contact, name=clean_line(contact.name), channel_user=clean_line(contact.channel_user)),
    )


def clean_text(raw: object) -> str:
    """The words of a message by the one rule for free text (:mod:`lookup.free_text`), checked for length."""
    if not isinstance(raw, str):
        raise SubmissionError("bad_type", "投诉内容必须是文字。", "text must be a string.", field="text")
    text = clean_block(raw)
    if not text:
        raise SubmissionError("empty_text", "请写下发生了什么。", "Please say what happened.", field="text")
    if len(text) > MAX_TEXT_CHARS:
        raise SubmissionError(
            "text_too_long",
            f"内容太长了（{len(text)} 字），请控制在 {MAX_TEXT_CHARS} 字以内，可以分几次发送。",
            f"The text is too long ({len(text)} characters); keep it under {MAX_TEXT_CHARS}, or send it in parts.",
            field="text",
        )
    return text


def clean_name(raw: object) -> str:
    """A name as one clean line (:mod:`lookup.free_text`): no control, bidirectional or invisible characters."""
    if raw is None:
        return ""
    if not isinstance(raw, str):
        raise SubmissionError("bad_type", "姓名必须是文字。", "name must be a string.", field="name")
    name = clean_line(raw)
    if len(name) > MAX_NAME_CHARS:
        raise SubmissionError(
            "name_too_long",
            f"姓名最多 {MAX_NAME_CHARS} 个字。",
            f"A name is at most {MAX_NAME_CHARS} chars.",
            field="name",
        )
    return name


def clean_phone(raw: object) -> str:
    """Digits with an optional leading +; a mainland number loses its +86 so that the same phone compares equal."""
    if raw is None or raw == "":
        return ""
    if not isinstance(raw, str | int) or isinstance(raw, bool):
        raise SubmissionError("bad_type", "电话必须是文字。", "phone must be a string.", field="phone")
    # 「１３８１２３４５６７８」 typed in full width is the same number: stored as ASCII digits, or an SMS to it
    # fails and the same phone no longer compares equal
    phone = _PHONE_NOISE.sub("", unicodedata.normalize("NFKC", str(raw)))
    if not _PHONE.fullmatch(phone):
        raise SubmissionError(
            "bad_phone",
            "电话号码看起来不对：请填 7 到 15 位数字，可带 +86。",
            "That phone number does not look right: 7 to 15 digits, optionally with +.",
            field="phone",
        )
    if phone.startswith("+86"):
        phone = phone[3:]
    elif phone.startswith("86") and len(phone) == 13:
        phone = phone[2:]
    # 0 starts a landline's area code (0591 87654321: 10 to 12 digits in all); 00 starts an international call
    if phone.startswith("0") and not phone.startswith("00") and not 10 <= len(phone) <= 12:
        raise SubmissionError(
            "bad_phone",
            "带区号的固定电话应该是 10 到 12 位数字（如 0591-87654321），请核对一下。",
            "A landline with its area code has 10 to 12 digits (like 0591-87654321); please check it.",
            field="phone",
        )
    if phone.startswith("1") and len(phone) != 11:  # no mainland number but a mobile starts with 1: a digit off
        raise SubmissionError(
            "bad_phone",
            "手机号码应该是 11 位数字（如 13800138000），请核对一下。",
            "A mainland mobile number has 11 digits (like 13800138000); please check it.",
            field="phone",
        )
    return phone


def clean_channel(raw: object) -> str:
    if raw is None or raw == "":
        return "api"
    if not isinstance(raw, str) or raw not in CHANNELS:
        allowed = ", ".join(sorted(CHANNELS))
        raise SubmissionError(
            "bad_channel", f"渠道只能是 {allowed} 之一。", f"channel must be one of {allowed}.", field="channel"
        )
    return raw


CHOSEN_INTENTS = ("complaint", "report")  # the two a consumer chooses between, as on the 12315 platform


def clean_intent(raw: object) -> str | None:
    """The consumer's choice of 投诉 or 举报; nothing (None or "") leaves the type to the classifier."""
    if raw is None or raw == "":
        return None
    if not isinstance(raw, str) or raw not in CHOSEN_INTENTS:
        raise SubmissionError(
            "bad_intent",
            "诉求类型只能是 complaint（投诉）或 report（举报）。",
            "intent must be complaint or report.",
            field="intent",
        )
    return raw


def check_photo_count(count: int) -> None:
    if count > MAX_PHOTOS:
        raise SubmissionError(
            "too_many_photos", f"最多上传 {MAX_PHOTOS} 张照片。", f"At most {MAX_PHOTOS} photos.", field="photos"
        )


def dedupe_text(text: str) -> str:
    """The words with case, width and spacing differences removed, for recognising a resend."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def missing_facts(intent: str, contact: Contact) -> tuple[str, ...]:
    """What the rules require that the consumer did not give: a complaint needs a name and a phone number.

    The case is stored all the same (intake never loses words); the consumer is asked for them, and a handler
    may decline on the `missing_facts` ground if they never come.
    """
    if intent != "complaint":
        return ()
    return tuple(name for name, value in (("name", contact.name), ("phone", contact.phone)) if not value)
