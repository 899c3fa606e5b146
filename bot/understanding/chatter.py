"""Words that are no story: greetings, thanks, farewells, adverts and keyboard mash, and the few questions about this
channel itself (its hours, whether a person reads it, the busy hotline, a merchant's side of a complaint). Each is
answered with a line of the catalogue and never makes a case."""

from __future__ import annotations

import re

from bot.understanding.words import (
    AGREEING,
    CHATTER_SET,
    FAREWELLS,
    FILLER_SET,
    fold,
    folded_phrases,
    nothing_but,
    splits_into,
)

SPAM = re.compile(
    r"加微信|加v信|加我微信|加vx|代开发票|低息贷款|网贷|兼职日结|刷单|日赚|博彩|六合彩", re.IGNORECASE
)  # adverts
GRATITUDE = (
    "谢谢", "谢谢你", "谢谢你们", "谢谢啦", "谢啦", "多谢", "多谢了", "感谢", "感谢你们", "感谢感谢",
    "辛苦了", "辛苦啦", "辛苦你们了", "thanks", "thank you", "thx",
)  # fmt: skip
THANKS = (*GRATITUDE, "好的", "好", "收到", "知道了", "ok", "okay", "got it")
_THANKS = folded_phrases(THANKS)
_FAREWELLS = folded_phrases(FAREWELLS)
_GRATITUDE = folded_phrases(GRATITUDE)
_KEYBOARD = re.compile(r"asdf|sdfg|dfgh|fghj|ghjk|hjkl|qwer|wert|erty|rtyu|tyui|yuio|uiop|zxcv|xcvb|cvbn|vbnm")
_VOWEL = re.compile(r"[aeiouy]")


# 「12315电话打不通」「12315一直占线」 alone: no story yet, and this chat is the other way in
_HOTLINE_BUSY = re.compile(
    r"12315.{0,8}(?:打不通|占线|没人接|接不通|打不进|一直忙|挂了|没打通)|(?:打不通|打不进|占线).{0,4}12315"
    r"|12315.{0,12}(?:busy|no answer|can'?t get through)",
    re.IGNORECASE,
)
# 「你们几点下班」「周末上班吗」: about this channel's hours, not a question for a station to answer in a case (a
# market's hours, 「南门市场几点关门」, are: the words around must be no more than 「请问你们」)
_HOURS = re.compile(
    r"(?:几点|什么时候|啥时候)(?:上班|下班|有人)|(?:周末|周六|周日|星期[六天日]|节假日|假期|晚上|中午)"
    r"(?:上班|有人|处理|办公|受理)|(?:上班|办公|工作|受理)时间|(?:opening|office|working|business) hours|are you open"
    r"|open on|(?:what time|when) do you (?:open|close|finish)",
    re.IGNORECASE,
)
# 「我是商户 被人投诉了 怎么申诉」: a merchant's side of a complaint is heard by the station that handles it
_MERCHANT_SIDE = re.compile(
    r"(?:我是|我们是|本人是)(?:商户|商家|店主|店家|摊主|老板|个体户|卖\S{1,4}的|开\S{1,4}的).{0,20}"
    r"(?:被投诉|被举报|被人投诉|被人举报|投诉我|举报我|申诉|冤枉|不服|异议|诬告|恶意投诉"
    r"|(?:顾客|客人|客户|有人|消费者|买家)(?:说|告|投诉|举报|冤枉)我)"
)

# 「你们管不管缺斤少两的」「缺斤少两可以投诉吗」「投诉有用吗」: whether this is the place, asked before any story; the
# words around may only name the kind of problem (「缺斤少两可以投诉吗 南门菜场少了二两」 is a story)
_SCOPE = re.compile(
    r"管不管|管吗|管么|能管吗|能不能管|管得了吗|归不归你们管|归你们管吗?|是你们管吗|受理吗|受不受理|"
    r"(?:能|可以|能不能|可不可以)(?:投诉|举报|反映)(?:吗|么)?|(?:投诉|举报|反映)(?:有用|管用)(?:吗|么)?|有没有用|"
    r"(?<!where )(?:can|could) i (?:complain|report)|do you (?:handle|deal with|take)|is this the (?:right )?place",
    re.IGNORECASE,
)
_SCOPE_TOPIC = re.compile(
    r"缺斤少两|缺斤短两|短斤少两|短斤缺两|少秤|缺秤|短秤|秤不准|鬼秤|作弊秤|计量|加油机|计价器|出租车|这种事情?|这类事情?|"
    r"这样的事情?|这个|这事|你们|这里|请问|问一下|问下|我想|想|的|吗|呢|啊|呀|吧|about|short weight|rigged scales?|"
    r"this|here|you|it",
    re.IGNORECASE,
)
_SCOPE_REST = 2  # 「事」「我」: a word or two beside the question (「能投诉南门菜场吗」 names a place)


# 「转人工」「你是机器人吗」「有没有真人」: whether a person reads this (the station's staff do, once it is sent; a
# person to talk to now is the 12315 hotline). The words around may only ask: 「客服态度差」 is a story.
_HUMAN = folded_phrases(
    ("人工", "人工客服", "人工服务", "真人", "真人客服", "活人", "客服", "机器人", "自动回复", "ai", "bot", "robot",
     "human", "person", "agent", "someone")
)  # fmt: skip
_ASKING_FOR = folded_phrases(
    ("转", "找", "要", "接", "请", "帮我", "你", "你们", "是", "是不是", "吗", "嘛", "么", "呢", "有", "有没有", "能",
     "能不能", "可以", "个", "一个", "这", "这个", "这里", "还是", "不", "在", "在线", "联系", "想", "跟", "和", "说话",
     "聊", "are", "you", "is", "this", "it", "can", "talk", "speak", "to", "want", "need", "with", "an", "a", "the",
     "real", "there", "any", "am", "chatting", "i")
)  # fmt: skip


def small_talk(text: str) -> str | None:
    """The answer to words that are no story (bot catalogue key): chatter's help line; for 「12315打不通」 alone,
    that the story can be told here; for the hours of this channel, that it is always open; for a merchant who was
    complained about, where their side is heard; for 「转人工」, who reads the words; for 「你们管不管缺斤少两」, that
    this is the place; None for anything else."""
    if _HOTLINE_BUSY.search(text) and len(fold(_HOTLINE_BUSY.sub("", text))) <= 8:
        return "chatter.hotline"
    if nothing_but(text, _FAREWELLS):
        return "chatter.bye"
    if _HOURS.search(text) and len(fold(_HOURS.sub("", text))) <= 5:
        return "chatter.hours"
    if _MERCHANT_SIDE.search(text) and len(fold(text)) <= 40:
        return "chatter.merchant"
    if (core := fold(text)) and len(core) <= 20 and splits_into(core, _HUMAN, FILLER_SET | _ASKING_FOR):
        return "chatter.human"
    if _SCOPE.search(text) and len(fold(_SCOPE_TOPIC.sub("", _SCOPE.sub("", text)))) <= _SCOPE_REST:
        return "chatter.scope"
    return "chatter" if is_chatter(text) else None


def is_chatter(text: str) -> bool:
    """A greeting, punctuation or emoji only, keyboard mash, or spam: never the start of a case."""
    core = fold(text)
    if not core:
        return True  # ？？？, emoji, stickers typed as text
    if SPAM.search(text):
        return True
    if re.fullmatch(r"[a-z]{1,2}", core):
        return True  # o, k, ya: a word that short says nothing to act on
    if re.fullmatch(r"[a-z]+", core) and (_KEYBOARD.search(core) or not _VOWEL.search(core)):
        return True  # asdfgh, jjjjj: keyboard mash (a word of English has vowels)
    if re.fullmatch(r"\d{1,4}|(.)\1{2,}", core):
        return True  # 111, 啊啊啊, 哈哈哈哈
    # 谢谢, 嗯, 哦 alone carry nothing to act on either
    return nothing_but(text, CHATTER_SET, limit=12) or (len(core) <= 12 and splits_into(core, FILLER_SET, frozenset()))


def is_thanks(text: str) -> bool:
    """谢谢, 好的 收到, thanks: an acknowledgement, answered in kind; never a story."""
    return nothing_but(text, _THANKS)


def is_gratitude(text: str) -> bool:
    """谢谢, 辛苦了, thank you, 「好的谢谢」: thanks said (not 好的 or ok alone, which only acknowledge)."""
    core = fold(text)
    return bool(core) and len(core) <= 24 and splits_into(core, _GRATITUDE, FILLER_SET | AGREEING)
