"""Answers the service can give at once, without a handler (DESIGN.md: inquiries are answered automatically
where the answer is known).

Seven questions are known: what the sticker's QR code is for and how to use it, an instrument's status (when the
message came from its sticker or named its code), what a status means (超期, 停用 …), where the fair scale is (of the
instrument's market, or of the market the message names; where no market is known, where fair scales usually are;
for a shop's own scale, the shop), what to do about a household meter one doubts, what the merchant has promised
(诚信计量承诺书: the instrument's merchant's, or where to see one), and how a complaint is handled. Anything else
waits for a person. The words are here rather than in the web catalogue because they leave the web: the same answer
goes out by WeChat, Telegram and SMS.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from complaints.deadlines.policy import DeadlinePolicy
from lookup.scan import InstrumentCard
from lookup.vocab import KIND_NAMES_ZH, Status

_STATUS_WORDS: dict[Status, tuple[str, str]] = {
    Status.valid: ("检定合格，在有效期内", "verified and in date"),
    Status.expiring: ("检定合格，但即将到期", "verified, but the verification expires soon"),
    Status.expired: ("检定已过期", "its verification has expired"),
    Status.failed: ("最近一次检定不合格", "it failed its latest verification"),
    Status.unverified: ("没有检定记录", "it has no verification record"),
    Status.no_record: ("不属于强制检定，没有检定记录", "not subject to compulsory verification; no record"),
    Status.suspended: ("已停用", "it has been taken out of use"),
    Status.retired: ("已报废", "it has been retired"),
}
_TRUSTED = {Status.valid, Status.expiring, Status.no_record}

_ASKS_FAIR_SCALE = re.compile(r"公平秤|复秤|复称|復秤|fair\s*scale|re-?weigh", re.IGNORECASE)
# 「公平秤在哪」, 「哪里可以复秤」: asking where, beside the fair scale (「复秤只有1斤6两」 asks nothing)
_WHERE = re.compile(r"在哪|哪里|哪儿|哪有|什么地方|有没有|有吗|怎么走|\bwhere\b", re.IGNORECASE)
_ASKS_PROCESS = re.compile(
    r"流程|多久|几天|多长时间|怎么投诉|如何投诉|怎么处理|怎样投诉|怎么举报|如何举报|(?:在|去|到)?哪(?:里|儿)?(?:可以|能)?(?:投诉|举报)|"
    r"how\s+long|how\s+(?:do|can)\s+i\s+(?:complain|report)|where\s+(?:can|do|should)\s+i\s+(?:complain|report)|"
    r"process",
    re.IGNORECASE,
)
_ASKS_STATUS = re.compile(r"检定|有效期|合格|准不准|准吗|准确|靠谱|verif|valid|status|accurate|\bok\b", re.IGNORECASE)
# Whether an instrument is right, not how to have one verified (「电子秤去哪检定 收费吗」 is for a handler).
_ASKS_IF_RIGHT = re.compile(
    r"准不准|准吗|准确吗|准不准确|靠谱吗|有没有检定|检定过没|检定了吗|检定过吗|是否检定|合格吗|合不合格|"
    r"有效期|检定周期|多久.{0,4}检|(?:怎么|如何|怎样)(?:查|知道|看|判断|确认).{0,8}(?:检定|合格|准)|"
    r"accurate|\bok\b|verified\?|(?:if|whether) (?:a |the |this |that |my )?\w+ (?:is|was) (?:verified|accurate|legal)"
    r"|is (?:it|this|that|the \w+) verified",
    re.IGNORECASE,
)
# Instruments that weigh nothing: a fair scale cannot check them
_NOT_WEIGHED = re.compile(r"加油|加气|充电|计价器|出租|的士|水表|电表|气表|热量表|pump|taxi|meter", re.IGNORECASE)
# 「家里电表走得快怎么办」: a household meter doubted, and what to do. The utility checks its own meter first; a
# statutory verification institute settles a dispute (供电营业规则 and the water and gas rules say the same).
_HOUSEHOLD_METER = re.compile(
    r"水表|电表|电能表|气表|燃气表|天然气表|热量表|(?:water|electricity|electric|gas|heat)\s+meter", re.IGNORECASE
)
_ASKS_WHAT_TO_DO = re.compile(
    r"怎么办|咋办|怎么弄|怎么处理|如何处理|找谁|找哪|向谁|哪里(?:可以|能)?(?:校验|检测|检定)|"
    r"what\s+(?:should|can|do)\s+i\s+do|who\s+(?:do|should|can)\s+i",
    re.IGNORECASE,
)
# 「走了800度 是不是表坏了」「燃气表准不准」: the meter itself doubted, which is the same question put another way
_DOUBTS_METER = re.compile(
    r"是不是.{0,4}(?:坏|不准|有问题|出问题|走得?快|跑得?快)|会不会是.{0,4}(?:表|坏|不准)|准不准|准吗|"
    r"(?:表|计量).{0,3}(?:坏了|有问题|不准|走得?快|跑得?快)(?:吗|嘛|么|啊)?[?？]"
    r"|is (?:my|the) \w+ meter (?:faulty|broken|wrong)",
    re.IGNORECASE,
)
# 「商家的诚信计量承诺书在哪看」: what a merchant promised is on its instruments' lookup pages and cards.
_ASKS_COMMITMENT = re.compile(r"承诺书|诚信计量承诺|计量承诺|诚信承诺|commitment|pledge", re.IGNORECASE)
# 「这个二维码怎么用」, 「扫码是干什么的」: what the sticker is for (not how to verify an instrument, 「怎么检定」)
_ASKS_HOW_TO_USE = re.compile(
    r"(?:二维码|扫码|扫一扫|贴纸|码).{0,6}(?:怎么用|如何用|如何使用|怎么使用|怎么扫|干什么|干嘛|做什么|是什么|有什么用|啥用)"
    r"|how (?:do i|to|can i) (?:use|scan) (?:the |this |a )?(?:qr|code|sticker)"
    r"|what is (?:this|the) (?:qr|code|sticker)",
    re.IGNORECASE,
)
_ASKS_PERIOD = re.compile(r"有效期|检定周期|多久检|多久.{0,4}检定")
_ASKS_MEANING = re.compile(r"意思|什么|啥|是指|代表|还能用|能不能用|mean|what", re.IGNORECASE)
_ABOUT_INSTRUMENTS = re.compile(
    r"检定|秤|表|器具|计价器|加油机|加气机|充电桩|标签|贴纸|显示|状态|超期|停用|即将到期|scale|meter|pump|label|status|verif",
    re.IGNORECASE,
)
# The words a lookup page and the bot's card show, as shoppers repeat them, and what each means for the shopper.
_TERMS: tuple[tuple[re.Pattern[str], str, str], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), chinese, english)
    for pattern, chinese, english in (
        (r"即将到期|快到期|expir(?:es|ing) soon",
         "「即将到期」：检定还在有效期内，可以照常使用，只是快到期了，经营者要按时送检。",
         "“Expires soon”: the verification is still in date, so the instrument may be used; it is due again soon."),
        (r"过期|超期|expired",
         "「检定已过期」：检定有效期已过，依法不得再用于贸易结算，重新检定合格后才能用。",
         "“Expired”: the verification is out of date; by law it may not be used for trade until verified again."),
        (r"停用|suspended|out of use",
         "「已停用」：市场监管部门已让它停止使用，不得用于贸易结算。",
         "“Taken out of use”: the regulator has stopped its use; it may not be used for trade."),
        (r"报废|retired",
         "「已报废」：这台器具已经淘汰，不应再用。",
         "“Retired”: the instrument has been retired and should no longer be used."),
        (r"不合格|failed",
         "「检定不合格」：最近一次检定没有通过，修好并重新检定合格前不得使用。",
         "“Failed”: it failed its latest verification; it may not be used until repaired and verified again."),
        (r"没有检定记录|无检定记录|未检定|没检定|no (?:verification )?record",
         "「没有检定记录」：需要强制检定的器具查不到检定记录，不应用于贸易结算；不属于强制检定的器具没有记录是正常的。",
         "“No verification record”: an instrument that must be verified has no record and should not be used for "
         "trade; one outside compulsory verification normally has none."),
    )
)  # fmt: skip


@dataclass(frozen=True)
class Answer:
    chinese: str
    english: str


@dataclass(frozen=True)
class MarketFacts:
    """The market a question is about, as far as its fair scale goes ("" where none is registered)."""

    name: str
    fair_scale_location: str


def automatic_answer(
    text: str,
    card: InstrumentCard | None,
    *,
    on: date,
    policy: DeadlinePolicy,
    hotline: str,
    market: MarketFacts | None = None,
) -> Answer | None:
    """The answer to an inquiry when the service knows it, else None (a handler answers). ``market`` is the market
    the case was routed to when no instrument is known (「南门市场公平秤在哪」)."""
    parts: list[Answer] = []
    # asked about something else of the instrument (its fair scale, its merchant's promise): its status only if it
    # should not be trusted, which a shopper asking about a promise needs to hear
    asks_other = _ASKS_FAIR_SCALE.search(text) or _ASKS_COMMITMENT.search(text)
    if card is not None and (_ASKS_STATUS.search(text) or not asks_other or card.status(on) not in _TRUSTED):
        parts.append(_status_answer(card, on, hotline))
    elif _ASKS_IF_RIGHT.search(text) and _ABOUT_INSTRUMENTS.search(text):  # 「这个秤准吗」, no code: how to find out
        parts.append(_how_to_check(hotline, weighed=not _NOT_WEIGHED.search(text)))
    if _ASKS_MEANING.search(text) and (card is not None or _ABOUT_INSTRUMENTS.search(text)):
        parts += _meanings(text)  # 「过期食品什么意思」 is about food: not these meanings
    if _ASKS_FAIR_SCALE.search(text):
        parts.append(reweigh_answer(card, market, hotline))
    if _ASKS_HOW_TO_USE.search(text) and card is None:
        parts.append(_how_to_use_answer())
    if _ASKS_COMMITMENT.search(text):
        parts.append(_commitment_answer(card))
    if _HOUSEHOLD_METER.search(text) and (_ASKS_WHAT_TO_DO.search(text) or _DOUBTS_METER.search(text)):
        parts.append(_household_meter_answer())
    if _ASKS_PROCESS.search(text) and not _ASKS_PERIOD.search(text):  # 多久 about a complaint, not a verification
        parts.append(_process_answer(policy))
    if not parts:
        return None
    return Answer("\n".join(part.chinese for part in parts), "\n".join(part.english for part in parts))


def _status_answer(card: InstrumentCard, on: date, hotline: str) -> Answer:
    status = card.status(on)
    chinese, english = _STATUS_WORDS[status]
    last = card.last_verification
    until_zh = f"（有效期至 {last.valid_until:%Y-%m-%d}）" if last is not None and last.passed else ""
    until_en = f" (valid until {last.valid_until:%Y-%m-%d})" if last is not None and last.passed else ""
    zh = f"您查询的{KIND_NAMES_ZH[card.kind]}（出厂编号 {card.serial_no}，{card.merchant_name}）：{chinese}{until_zh}。"
    kind_en = card.kind.value.replace("_", " ")
    en = f"The {kind_en} you looked up (serial {card.serial_no}, {card.merchant_name}): {english}{until_en}."
    if status not in _TRUSTED:
        zh += f"请不要以它的计量结果为准，可到公平秤复秤，或拨打 {hotline} 投诉举报。"
        en += f" Do not rely on its reading: re-weigh at the fair scale, or call {hotline}."
    return Answer(zh, en)


def _how_to_check(hotline: str, *, weighed: bool) -> Answer:
    """How to learn whether an instrument is verified; then, for a scale, the fair scale, and for a pump, a taxi
    meter or a household meter (which no fair scale checks), the hotline or the story told here."""
    zh = "发器具贴纸上的编码（如 7K3MQ-9XR4P）或扫贴纸上的二维码，可以查到它是否检定合格、有效期到哪一天；"
    en = "Send the code on the instrument's sticker (like 7K3MQ-9XR4P) or scan its QR code to see whether it is "
    if weighed:
        return Answer(
            zh + f"怀疑分量不对，可以到市场的公平秤免费复秤，或拨打 {hotline}。",
            en + f"verified and until when; if you doubt a weight, re-weigh free at the market's fair scale, or call "
            f"{hotline}.",
        )
    return Answer(
        zh + f"怀疑读数或计量不对，可以直接在这里说说发生了什么，或拨打 {hotline}。",
        en + f"verified and until when; if you doubt its reading, tell me here what happened, or call {hotline}.",
    )


def _meanings(text: str) -> list[Answer]:
    """What each status word the question names means (「超期啥意思」), the first-listed reading of overlapping words
    first: 「即将到期」 is not 「过期」."""
    found: list[Answer] = []
    for pattern, chinese, english in _TERMS:
        if pattern.search(text):
            found.append(Answer(chinese, english))
            text = pattern.sub(" ", text)  # 「即将到期」 taken, its 「到期」 names nothing else
    return found


def asks_where_to_reweigh(text: str) -> bool:
    """「南门菜场的公平秤在哪」「哪里可以复秤」: where to re-weigh, asked (「复秤只有1斤6两」 tells a story)."""
    return bool(_ASKS_FAIR_SCALE.search(text) and _WHERE.search(text))


def reweigh_answer(card: InstrumentCard | None, market: MarketFacts | None, hotline: str) -> Answer:
    """Where to re-weigh: the fair scale of the instrument's market, or of ``market`` when no instrument is known;
    a shop's own scale has no market's fair scale."""
    if card is not None and card.market_name is None:
        return _shop_reweigh_answer(card.merchant_name, hotline)
    if card is not None and card.market_name is not None:
        return _fair_scale_answer(MarketFacts(card.market_name, card.fair_scale_location or ""), hotline)
    return _fair_scale_answer(market, hotline)


def _shop_reweigh_answer(merchant: str, hotline: str) -> Answer:
    return Answer(
        f"这台器具属于{merchant}，不在农贸市场里：可以请店家当面复秤（超市可到服务台），或到附近农贸市场的公平秤"
        f"免费复秤；有争议可以拨打 {hotline}，或在这里说说发生了什么。",
        f"This instrument belongs to {merchant}, which is not in a market: ask the shop (a supermarket's service "
        f"desk) to re-weigh in front of you, or re-weigh free at a nearby market's fair scale; if you disagree, call "
        f"{hotline} or tell me here what happened.",
    )


def _fair_scale_answer(market: MarketFacts | None, hotline: str) -> Answer:
    if market is None:  # a shop outside the registered markets, or no market named: where fair scales usually are
        return Answer(
            "农贸市场的公平秤一般设在市场管理处或出入口附近，复秤免费；超市可以到服务台要求复秤。"
            f"告诉我市场名称，或发秤上贴纸的编码，可以查到具体位置；也可以拨打 {hotline}。",
            "A market's fair scale is usually at the market office or near an entrance, and re-weighing is free; in a "
            "supermarket, ask at the service desk. Tell me the market's name, or send the code on a scale's sticker, "
            f"and I can tell you where it is; or call {hotline}.",
        )
    if market.fair_scale_location:
        return Answer(
            f"{market.name}的公平秤在：{market.fair_scale_location}。复秤免费。",
            f"The fair scale of {market.name} is at: {market.fair_scale_location}. Re-weighing is free.",
        )
    return Answer(
        f"{market.name}没有登记公平秤的位置，请向市场管理处询问，或拨打 {hotline}。",
        f"{market.name} has not registered where its fair scale is; ask the market office or call {hotline}.",
    )


def _how_to_use_answer() -> Answer:
    return Answer(
        "用手机（微信也可以）扫计量器具贴纸上的二维码，就能看到这台器具是否检定合格、有效期到哪天、属于哪家商户、商户的"
        "诚信计量承诺，以及公平秤在哪；扫不了时，把贴纸上的编码（如 7K3MQ-9XR4P）发到这里也一样。觉得分量或读数不对，"
        "直接在这里说说发生了什么。",
        "Scan the QR code on an instrument's sticker with your phone (WeChat works too) to see whether it is verified "
        "and until when, whose it is, what the merchant has promised, and where the fair scale is; if it will not "
        "scan, send me the code on the sticker (like 7K3MQ-9XR4P). If a weight or reading seems wrong, tell me here "
        "what happened.",
    )


def _commitment_answer(card: InstrumentCard | None) -> Answer:
    """The scanned instrument's merchant's commitment, or where any merchant's can be seen."""
    if card is None:
        return Answer(
            "商户签署的诚信计量承诺书显示在它器具的查询页上：扫器具贴纸上的二维码，或在这里发贴纸上的编码，就能看到这家"
            "是否签署、哪天签署、承诺了什么。签了承诺又缺斤短两的，可以直接在这里说说发生了什么。",
            "A merchant's honest-measurement commitment is shown on its instruments' lookup pages: scan the QR code "
            "on an instrument's sticker, or send me the code on it, to see whether, when and what the merchant "
            "promised. If a merchant who promised still gave short weight, tell me here what happened.",
        )
    if card.commitment_signed_on is None:
        return Answer(
            f"{card.merchant_name}还没有签署诚信计量承诺书。",
            f"{card.merchant_name} has not signed an honest-measurement commitment.",
        )
    promised = f"：{card.commitment_text}" if card.commitment_text else "。"
    return Answer(
        f"{card.merchant_name}已于 {card.commitment_signed_on:%Y-%m-%d} 签署诚信计量承诺书{promised}",
        # the standard text is Chinese only (lookup/commitment_text.py): the English answer says what it promises
        f"{card.merchant_name} signed the honest-measurement commitment on {card.commitment_signed_on:%Y-%m-%d}: "
        "verified instruments in date, no tampering, full weight, re-weighing allowed, and settling disputes.",
    )


def _household_meter_answer() -> Answer:
    return Answer(
        "怀疑家里的水表、电表或燃气表不准，可以先向供水、供电或供气单位申请校验；对校验结果有异议，可以向法定计量检定"
        "机构申请检定。想让对方核实、退还多收的费用，可以直接在这里说说发生了什么（哪里的表、什么时候、差了多少），"
        "按投诉转给市场监管所。",
        "If you doubt your water, electricity or gas meter, first ask the utility to test it; if you dispute its "
        "result, ask a statutory verification institute to verify it. To have the utility check and refund an "
        "overcharge, tell me here what happened (which meter, when, how much), and it goes to the station as a "
        "complaint.",
    )


def _process_answer(policy: DeadlinePolicy) -> Answer:
    return Answer(
        f"投诉：市场监管所在收到后 {policy.accept_days} 个工作日内决定是否受理，受理后 {policy.mediate_days} "
        f"个工作日内完成调解。举报：{policy.verify_days} 个工作日内完成核查（可延长 {policy.verify_extension_days} "
        "个工作日），并告知您是否立案。投诉需要留下姓名和电话，举报可以匿名。"
        "要投诉或举报，直接在这里说说发生了什么（哪家店、什么时候、差了多少）就行。",
        f"Complaints: the station decides within {policy.accept_days} working days whether to accept, and mediates "
        f"within {policy.mediate_days} working days of accepting. Reports: checked within {policy.verify_days} "
        f"working days (extendable by {policy.verify_extension_days}), and you are told whether a case was opened. "
        "A complaint needs your name and phone number; a report may be anonymous. To complain or report, just tell "
        "me here what happened (which shop, when, how much was missing).",
    )
