"""What the dialogue understands in a message, whatever the step: keywords in Chinese and English (a button's
data is one of them too), commands, references, instrument codes, and which language the words are in."""

from __future__ import annotations

import re
import unicodedata

from bot.conversation import Step
from qr.codes import normalise_code

WORDS = {
    "done": {"好了", "好", "说完了", "说完", "完了", "没了", "没有了", "就这些", "done", "finished", "ok",
             "that's all"},
    "skip": {"跳过", "不知道", "不清楚", "不记得", "没有", "没有照片", "不想说", "skip", "don't know", "dont know",
             "no", "none", "no photos", "not sure"},
    "submit": {"提交", "确认", "确认提交", "submit", "confirm", "yes"},
    "change": {"修改", "更改", "改", "change", "edit"},
    "cancel": {"取消", "算了", "/cancel", "cancel"},
    "help": {"帮助", "/help", "help", "?", "菜单", "menu"},
    "resume": {"继续", "继续上次的", "resume", "continue", "continue where i left off"},
    "restart": {"重新开始", "restart", "start again"},
    "en": {"english", "/english", "/lang en", "英文", "英语"},
    "zh": {"中文", "/chinese", "/lang zh", "chinese", "汉语"},
}  # fmt: skip
WORD_OF = {word: meaning for meaning, words in WORDS.items() for word in words}
CONFIRM_NUMBERS = {"1": "submit", "2": "change", "3": "cancel"}
FIX_WORDS = {
    "说明": Step.account, "内容": Step.account, "account": Step.account,
    "地点": Step.where, "摊位": Step.where, "place": Step.where,
    "时间": Step.when, "when": Step.when, "time": Step.when,
    "金额": Step.amounts, "amounts": Step.amounts, "照片": Step.photos, "photos": Step.photos,
    "姓名": Step.name, "name": Step.name, "电话": Step.phone, "phone": Step.phone,
}  # fmt: skip
STATUS = re.compile(r"^(?:进度|查进度|查询进度|/status|status)\s*[:：]?\s*(\S*)$", re.IGNORECASE)
RATE = re.compile(r"^(?:rate:|评价\s*|/rate\s+)([A-Za-z]{2}\d{8}-\d{4,6})?[:\s]*([1-5])$", re.IGNORECASE)
CHECK = re.compile(r"^(?:查|查询|/check|check)\s*[:：]?\s*(\S.*)$", re.IGNORECASE)
START = re.compile(r"^/start(?:\s+(\S+))?$")
COMPLAIN = re.compile(r"^(?:投诉|complain(?: about)?)\s*(\S+)$", re.IGNORECASE)
LINK = re.compile(r"/i/([0-9A-Za-z-]{10,11})\b")
REF = re.compile(r"^[A-Za-z]{2}\d{8}-\d{4,6}$")
CJK = re.compile(r"[\u3400-\u9fff]")
LATIN_WORDS = re.compile(r"[A-Za-z]{2,}\b.*\b[A-Za-z]{2,}")


def words(text: str) -> str:
    """The text as a keyword: width, case and surrounding punctuation do not matter."""
    folded = unicodedata.normalize("NFKC", text).strip().casefold()
    return folded.strip("。.!！?？~～ ") or folded


def language_of(text: str) -> str | None:
    if CJK.search(text):
        return "zh"
    if LATIN_WORDS.search(text):
        return "en"
    return None


def code_in(text: str) -> str | None:
    """The instrument code a message consists of: the bare code, ``查 CODE``, or a lookup page's link."""
    link = LINK.search(text)
    if link:
        return normalise_code(link.group(1))
    check = CHECK.match(text.strip())
    candidate = check.group(1) if check else text
    return normalise_code(candidate.strip())
