"""The choice that is the shopper's: 投诉 (a remedy from the merchant: refund, make-up, mediation; name
and phone needed) or 举报 (an investigation; may be anonymous).

Asked, with buttons (WeChat: reply 1 or 2), when the words do not settle it: a personal loss with no stated wish,
a wish the classifier read otherwise, or a low confidence in the reading. Taken from a button, 1 or 2, 投诉/举报,
or words that state the wish; a "no" keeps the classifier's reading. Offered again when a complaint's name or
phone is refused: the remedy needs them, a report does not.
"""

from __future__ import annotations

import re

from bot.conversation import Button, Draft, Reply, Step
from bot.texts import choice_reply, facts_line
from bot.turn import Turn
from bot.turn import texts_of as _t
from bot.understanding.facts import amounts_in
from bot.understanding.words import LOSS_TOLD, PERSONAL_LOSS, PHOTOS, QUESTION, SHORTFALL, says_no, wish_of, words
from complaints.classify import Classification
from complaints.workflow import Intent

LOW_CONFIDENCE = 0.75  # an intent read with less than this is asked, whatever the words
CHOSEN = frozenset({Intent.complaint.value, Intent.report.value})
_ANSWERS = {
    "1": "complaint", "2": "report", "投诉": "complaint", "举报": "report", "complaint": "complaint",
    "report": "report", "intent:complaint": "complaint", "intent:report": "report", "改为投诉": "complaint",
    "改为举报": "report", "要投诉": "complaint", "要举报": "report", "我要投诉": "complaint", "我要举报": "report",
    "投诉吧": "complaint", "举报吧": "report", "1投诉": "complaint", "2举报": "report", "我想投诉": "complaint",
    "我想举报": "report", "想投诉": "complaint", "想举报": "report", "我是来投诉的": "complaint",
    "我是来举报的": "report", "我要投诉一下": "complaint", "我要举报一下": "report",
    # English, spaces removed as the words are compared: "I want to complain", "I'd like to report it"
    "iwanttocomplain": "complaint", "i'dliketocomplain": "complaint", "iwanttomakeacomplaint": "complaint",
    "iwanttofileacomplaint": "complaint", "iwanttoreport": "report", "iwanttoreportit": "report",
    "i'dliketoreport": "report", "i'dliketoreportit": "report",
}  # fmt: skip
# 「那我要举报」「好 我要投诉」「那就投诉吧」: a word that leads in from what was said before (an answer, a lookup)
_LEAD_IN = re.compile(r"^(?:那么|那就|那|好的|好吧|好|行|嗯|ok|so|then|ok,)[,，]?")
# 「匿名」 as the answer to the choice (and only there: at the name question it is a name refused): the option that
# may be anonymous. offer_remedy still offers the remedy to a loss of one's own.
_ANONYMOUS = frozenset({
    "匿名", "匿名吧", "我要匿名", "我想匿名", "要匿名", "匿名举报", "我要匿名举报", "可以匿名吗", "不留名", "不想留名",
    "不留名字", "不想留名字", "不想留姓名", "不留姓名", "不想留电话", "不留电话", "不想留联系方式", "anonymous",
    "anonymously", "stayanonymous", "i'dratherstayanonymous", "noname",
})  # fmt: skip
_OWN_METER = re.compile(
    r"(?:我家|家里|家的|我们家|我的|咱家).{0,4}(?:水表|电表|电能表|燃气表|天然气表|气表|热量表)|水费|电费|燃气费|气费|暖气费"
    r"|my (?:water|electricity|electric|gas|heat) (?:meter|bill)",
    re.IGNORECASE,
)
# 投诉 or 举报 said in a sentence of the story: the shopper's own word, whatever the classifier reads (and its 我 or
# "I" tells no purchase of one's own)
_OUTRIGHT_WISH = re.compile(
    r"(?:我(?:要|想|来|是来)(?:实名|匿名)?|^\s*)(举报|投诉)"
    r"(?![的了吗呢过有要需该能怎电热渠方流途]|\s*(?:电话|热线|渠道|方式|流程|怎么|有用|需要|要不要))"
    r"|\bi(?:'d like| want| would like| wish) to (report|complain|make a complaint|file a complaint)",
    re.IGNORECASE,
)
SWITCH = frozenset({"intent:complaint", "intent:report", "改为投诉", "改为举报"})  # taken at any later question


def said_in_story(account: str) -> str | None:
    """「我要举报…」, "I want to report…", 「投诉南门菜场…」 in the story, with nothing in the words asking otherwise:
    the shopper's own choice (None when the words say none, or say both)."""
    outright = _OUTRIGHT_WISH.search(account)
    if outright is None:
        return None
    named = (outright.group(1) or outright.group(2)).lower()
    said = Intent.report.value if named in {"举报", "report"} else Intent.complaint.value
    return said if wish_of(account) in {said, None} else None


def settled(reading: Classification, account: str) -> str | None:
    """The intent the shopper's words settle, or None when they must be asked."""
    said = said_in_story(account)
    if said is not None:
        return said
    if reading.intent not in CHOSEN:  # a question or praise: nothing to choose, unless it may be a loss misread
        # an unsure reading of a loss; or an inquiry of words that ask nothing, however sure the reading (「秤不准
        # 南门菜场 早上」 read as an inquiry at 0.76: a question must ask something)
        unsure = (reading.intent_confidence < LOW_CONFIDENCE and PERSONAL_LOSS.search(account)) or (
            reading.intent == Intent.inquiry.value and not QUESTION.search(account)
        )
        # 「买菜被坑了 就是秤不准」: a loss told and nothing asked is no question, however sure the reading
        told = reading.intent == Intent.inquiry.value and LOSS_TOLD.search(account) and not QUESTION.search(account)
        # 「那我买的东西怎么办 少了好几两」: a question about a loss of one's own is asking for the remedy too
        asks_for_loss = reading.intent == Intent.inquiry.value and SHORTFALL.search(account) and amounts_in(account)
        # 「电表这个月走了800度 平时才200 是不是表坏了」: one's own meter doubted over a bill is a bill disputed
        disputes_bill = reading.intent == Intent.inquiry.value and _OWN_METER.search(account) and amounts_in(account)
        return None if unsure or told or asks_for_loss or disputes_bill else reading.intent
    if reading.intent_confidence < LOW_CONFIDENCE:
        return None
    wish = wish_of(account)
    if wish is not None:
        return reading.intent if wish == reading.intent else None
    if reading.intent == Intent.report.value and not PERSONAL_LOSS.search(account):
        return reading.intent  # a cheating merchant pointed out, no loss of one's own
    return None  # a personal loss with no stated wish: the remedy is the shopper's to ask for


def said_outright(text: str) -> str | None:
    """投诉 or 举报 said in so many words ("我要投诉", "举报吧"): not a number or a button, which answer only the
    question that offers them."""
    folded = words(text).replace(" ", "")
    if folded[:1].isdigit() or folded.startswith("intent:"):
        return None
    return _ANSWERS.get(folded) or _ANSWERS.get(_LEAD_IN.sub("", folded))


def answer_of(text: str) -> str | None:
    """complaint or report from the shopper's answer to the question, or None when it says neither."""
    folded = words(text).replace(" ", "").replace(".", "").replace("、", "")
    if folded in _ANSWERS:
        return _ANSWERS[folded]
    if folded.rstrip("。!！~") in _ANONYMOUS:
        return Intent.report.value
    if len(folded) <= 30:
        return wish_of(text)
    return None


def ask(turn: Turn, *, taken: tuple[str, ...] = ()) -> Turn:
    """What was understood (the kind of problem, and the facts ``taken`` from the words), then the question: nothing
    said yet about anonymity."""
    draft = turn.draft
    t = _t(turn)
    understood = t("understood.category", category=t(f"category.{draft.category}"))
    if taken:
        understood += "\n" + facts_line(draft, t, taken)
    turn.replies.append(Reply(understood))
    turn.replies.append(choice_reply(t, draft))
    return turn


# 「都不是 我就想问问」 at the question: neither remedy nor investigation wanted
_NEITHER = re.compile(
    r"都不是|都不要|两个都不|只是问问|就想问问|就是问问|只想问问|问问而已|just asking|neither", re.IGNORECASE
)


def neither(turn: Turn, text: str) -> bool:
    """「都不是 我就想问问」: what to do instead is said (ask the question; or cancel), and the question stands."""
    if not _NEITHER.search(text):
        return False
    turn.replies.append(Reply(_t(turn)("choose.neither")))
    return True


def choose(draft: Draft, intent: str) -> None:
    """The shopper's choice: the case is handled as it, whatever the classifier read."""
    draft.chosen = draft.intent = intent


def take(turn: Turn, text: str) -> bool:
    """The answer to the question: True when it was taken (a choice, or a "no" that keeps the reading)."""
    chosen = answer_of(text)
    if chosen is not None:
        choose(turn.draft, chosen)
        turn.replies.append(Reply(_t(turn)(f"chosen.{chosen}")))
        return True
    if photos_declined(turn, text):
        return False
    if says_no(text) or words(text) == "skip":
        turn.replies.append(Reply(_t(turn)("chosen.kept", intent=_t(turn)(f"intent.{turn.draft.intent}"))))
        return True
    return False


def photos_declined(turn: Turn, text: str) -> bool:
    """「没有照片」「没拍」 at another question: about the photos (noted, and not asked later), not that question's
    answer (a name refused, a time skipped)."""
    if not (says_no(text) and PHOTOS.search(text)):
        return False
    if Step.photos.value not in turn.draft.asked:
        turn.draft.asked.append(Step.photos.value)
    turn.replies.append(Reply(_t(turn)("ack.no_photos")))
    return True


def offer_remedy(turn: Turn) -> Reply | None:
    """A report told with a loss of one's own is offered the remedy beside the anonymity (never anonymity alone)."""
    draft = turn.draft
    if draft.intent != Intent.report.value or not PERSONAL_LOSS.search(_OUTRIGHT_WISH.sub("", draft.account)):
        return None
    t = _t(turn)
    return Reply(t("report.remedy_offer"), ((Button(t("button.intent.to_complaint"), data="intent:complaint"),),))


def given_contact(draft: Draft, fields: tuple[str, ...]) -> None:
    """A name or phone the shopper has now given (sent ahead, or corrected): no longer recorded as refused."""
    draft.refused = [field for field in draft.refused if field not in fields]


def refused_contact(turn: Turn, field: str) -> None:
    """A name or phone the shopper will not give: recorded as refused (never as the answer); a complaint is told
    that the remedy needs it and offered a report instead."""
    draft = turn.draft
    if field not in draft.refused:
        draft.refused.append(field)
    if draft.intent != Intent.complaint.value:
        return
    t = _t(turn)
    offer = ((Button(t("button.intent.to_report"), data="intent:report"),),)
    turn.replies.append(Reply(t("contact.refused", field=t(f"fact.{field}")), offer))
