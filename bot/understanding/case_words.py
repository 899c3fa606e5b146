"""Words about a case already sent: asking after it (「我那个投诉怎么样了」, 「你们什么时候处理」), pressing for it
(「能不能加急」), adding to it (「再补充一下 老板还骂人」), telling that the merchant has put it right (「老板已经把钱退
给我了」), or taking it back (「撤销投诉」); and the worry that the merchant learns who complained."""

from __future__ import annotations

import re

from bot.understanding.words import fold
from complaints.classify.tokenize import simplified

PROGRESS_ALONE = ("进度", "进展", "查进度", "查询进度", "我的投诉", "我的举报", "我的案件", "status", "progress",
                  "mycase", "mycases", "mycomplaint", "anynews", "anyupdate")  # fmt: skip
PROGRESS_MINE = re.compile(r"投诉|举报|案件|反映的|那个事|那件事|我那个|我的|case|complaint|report", re.IGNORECASE)
_MY_CASE = re.compile(r"my(?:complaint|report|case)")  # spaces taken out
# 「你们什么时候处理」: after the shopper's own case (bot/asides.py asks only when one is being handled), a question
# after it, not a new story.
PROGRESS_WHEN = re.compile(
    r"(?:什么时候|啥时候|几时|多久|多长时间|哪天)[^。,!?]{0,6}"
    r"(?:处理|受理|答复|回复|回音|结果|解决|联系|来查|办|退钱|退款|退给我|赔|给钱|打电话|来电话)"
    r"|when will (?:you|it|they|my)",
    re.IGNORECASE,
)
PROGRESS_HOW = re.compile(
    r"进度|进展|怎么样|咋样|如何了|有结果|结果呢|处理了吗|处理了没|处理得怎么样|回复了吗|有回音|有消息|status|news|update|"
    r"going|progress|"
    # 「我的投诉怎么还没人处理」: asked after a case that seems forgotten (not 「他说没人管得了他」, a story)
    r"(?:怎么|咋|为什么|为啥|还)没有?人?(?:处理|受理|回复|答复|联系|管|理|消息|动静|下文)|"
    # 「我要查询 我那个投诉」, 「查一下我之前的举报」: a lookup of one's own case, not the start of one
    r"(?:查询|查一下|查查|查|看看|看一下)(?:一下)?(?:我的|我那个|我那|那个|我|我之前的|之前的|我之前)(?:投诉|举报|案件)|"
    # 「我的投诉呢」: the shopper's own case, then 呢 at the end; 「我要投诉呢」 is not about one
    r"(?:我的|我那个|我那|那个)(?:投诉|举报|案件|事)呢$",
    re.IGNORECASE,
)
_PROGRESS_ALONE = frozenset(fold(phrase) for phrase in PROGRESS_ALONE)


# 「刚才那个编号是多少」「我的单号呢」: the reference of one's own case, asked for
_ASKS_REF = re.compile(
    r"(?:编号|单号|受理号|回执号|案件号)(?:是|呢|是多少|多少|是啥|是什么|几号)|what(?:'s|is)my(?:reference|ref|casenumber)"
)


def asks_progress(text: str) -> bool:
    """「我那个投诉怎么样了」, a bare 「进度」, 「刚才那个编号是多少」: the shopper asks after their own cases."""
    core = fold(text)
    if core in _PROGRESS_ALONE or (len(core) <= 20 and _ASKS_REF.search(core)):
        return True
    if len(core) > 20:  # "how is my complaint going" (21 without spaces): English takes more letters; not "I
        # want to report the scale's status", which is a story
        return core.isascii() and len(core) <= 40 and bool(_MY_CASE.search(core) and PROGRESS_HOW.search(core))
    return bool(PROGRESS_MINE.search(core) and PROGRESS_HOW.search(core))


def asks_when_handled(text: str) -> bool:
    """「你们什么时候处理」, "when will you deal with it": about a case already made, if there is one."""
    return len(fold(text)) <= 24 and bool(PROGRESS_WHEN.search(simplified(text)))


# 「撤销投诉」, 「不举报了」, "withdraw my complaint", 「撤销」 alone: the shopper takes back a case (mid-story:
# the story told)
_WITHDRAW = re.compile(
    r"(?:我要|我想|请|帮我|麻烦)?(?:撤销|撤回|撤掉|取消|不要)掉?(?:我的|这个|那个|刚才的|刚刚的|之前的)?(?:投诉|举报)(?:吧|了)?"
    r"|不(?:投诉|举报)了|(?:cancel|withdraw)(?:my|the|this)?(?:complaint|report|case)"
    r"|(?:我要|我想|请|帮我)?(?:撤销|撤回)(?:吧|了|一下)?"
)
# 「再补充一下 老板还骂人」, 「我刚才投诉的那个 忘了说…」, "one more thing": more words about the case just sent (not
# 「还有一件事，隔壁摊也一样」: another matter, another story)
_ADDS_TO_CASE = re.compile(
    r"^(?:我|我要|我想|再|还要|还想)?(?:补充|追加)|忘了说|忘记说|还有一点|刚才(?:投诉|举报|说)的那个|"
    r"^(?:one more thing|i forgot to (?:say|mention)|also,|to add)",
    re.IGNORECASE,
)
# The cue at the head of the words, left out of what joins the case: its text heads them 「补充：」 itself
_ADD_CUE_FIRST = re.compile(r"^(?:我|我要|我想|再|还要|还想)?(?:补充|追加)(?:一下|一点|几句|说明)?[\s:：,，。]*")


# 「能不能加急」「麻烦快点处理」: the shopper presses for a case already sent (its handler sees the words)
_URGES = re.compile(
    r"加急|加快|快点|快一点|快些|尽快|抓紧|催一下|催催|催一催|催办|急用|着急|很急|急死|"
    r"hurry|urgent|asap|speed (?:it )?up|faster",
    re.IGNORECASE,
)
# 「老板已经把钱退给我了」「商家补给我了」「已经协商好了」: the merchant has put it right since the case was sent (not
# 「老板不退钱」, nor 「钱退了吗」, a question); 「不用处理了」 says so too
_SETTLED = re.compile(
    r"(?:退|补|赔|还)(?:给我|回来|回|上|齐|足)?(?:了?(?:钱|款))?了|(?:解决|处理好|协商好|谈好|和解|搞定)了|私了|"
    r"refunded|paid me back|(?:gave|got) (?:me |my )?(?:the |my )?money back|made (?:it )?up|sorted (?:it )?out"
    r"|resolved|settled",
    re.IGNORECASE,
)
_NO_LONGER_NEEDED = re.compile(r"不(?:用|需要)(?:你们)?再?(?:处理|管|查)了|no longer need", re.IGNORECASE)
_UNSETTLED = re.compile(r"不|没|拒|未|吗|呢|\?|？|didn'?t|\bnot\b|won'?t|refus|never", re.IGNORECASE)


# 「那怎么办」「然后呢」 with nothing in hand (straight after an answer, most often): what can be done, asked
_WHAT_NOW = re.compile(
    r"(?:那么?|那我|我)?该?(?:怎么办|咋办|怎么处理|怎么弄|怎么搞|然后呢|接下来呢|能怎么办|可以怎么办)[呢啊呀]?"
    r"|what(?:now|shouldido|canido|doido)|nowwhat"
)


def asks_what_now(text: str) -> bool:
    """「那怎么办」, 「然后呢」, "what should I do": what can be done about it, and nothing more."""
    return _WHAT_NOW.fullmatch(fold(text)) is not None


def urges(text: str) -> bool:
    """「能不能加急」「快点处理啊」 "please hurry": pressing for a case already sent (a few words, no story)."""
    return len(fold(text)) <= 20 and bool(_URGES.search(simplified(text)))


def says_settled(text: str) -> bool:
    """「老板已经把钱退给我了」「已经协商好了」「不用处理了」: the matter was put right after the case was sent."""
    said = simplified(text)
    if len(fold(said)) > 30:
        return False
    if _NO_LONGER_NEEDED.search(said):
        return True
    return bool(_SETTLED.search(said)) and not _UNSETTLED.search(said)


def wants_withdrawal(text: str) -> bool:
    """「撤销投诉」, 「我要撤回投诉」, 「不投诉了」, "withdraw my complaint", and nothing more."""
    return _WITHDRAW.fullmatch(fold(text)) is not None


def added_to_case(text: str) -> str | None:
    """Words that say they add to a case already sent: the words to add, "" for the cue alone (「补充一下」: the words
    come next), None for any other message."""
    found = _ADDS_TO_CASE.search(text.strip())
    if found is None:
        return None
    if len(fold(text)) <= len(fold(found.group(0))) + 2:
        return ""
    return without_add_cue(text)


def without_add_cue(text: str) -> str:
    """「补充一下 张三 138…」 without its 补充一下."""
    return _ADD_CUE_FIRST.sub("", text.strip()) or text.strip()


# 「你们会不会告诉老板是我投诉的」, 「商家能看到我的电话吗」: asked at any step, answered there, and never an answer
# (a time, a place) or more of the story; a question, so 「老板知道是我投诉的就骂我」 stays story
_MERCHANT_LEARNS = re.compile(
    r"(?:告诉|通知|透露给?|泄露给?|转告|让)(?:老板|商家|商户|店家|摊主|对方|他们|卖家)"
    r"|(?:老板|商家|商户|店家|摊主|对方|卖家)(?:会|能|就)?(?:知道|看到|看见|晓得)(?:是我|我的|我是谁|我投诉|我举报|我)"
    r"|(?:个人)?信息.{0,4}(?:泄露|泄漏|保密)|保密吗|报复|打击报复"
    r"|(?:merchant|shop|seller|owner|vendor)s? (?:know|see|find out|learn)|keep my (?:name|identity|number|phone)"
    r"|retaliat",
    re.IGNORECASE,
)
_ASKING = re.compile(
    r"[吗嘛么呢？?]|会不会|能不能|是不是|可不可以|\b(?:will|would|can|could|does|do|is)\b", re.IGNORECASE
)


def worries_merchant_learns(text: str) -> bool:
    """「会不会告诉老板是我投诉的」: the shopper asks whether the merchant will learn who complained."""
    said = simplified(text)
    return len(fold(said)) <= 40 and bool(_MERCHANT_LEARNS.search(said) and _ASKING.search(said))
