"""What the dialogue understands in a message, whatever the step: keywords in Chinese and English (a button's
data is one of them too), commands, references, instrument codes, and which language the words are in."""

from __future__ import annotations

import re

from bot.conversation import Step
from complaints.classify.tokenize import simplified
from qr.codes import normalise_code

WORDS = {
    "done": {"好了", "好", "说完了", "说完", "完了", "没了", "没有了", "就这些", "就这样", "就这样吧", "就这些吧",
             "没别的了", "差不多了", "就这么多", "done", "finished", "ok", "that's all"},
    "skip": {"跳过", "不知道", "不清楚", "不记得", "没有", "没有照片", "不想说", "skip", "don't know", "dont know",
             "no", "none", "no photos", "not sure"},
    "submit": {"提交", "确认", "确认提交", "submit", "confirm", "yes"},
    "change": {"修改", "更改", "改", "change", "edit"},
    "cancel": {"取消", "算了", "/cancel", "cancel"},
    "help": {"帮助", "/help", "help", "?", "菜单", "menu"},
    # The privacy notice (/privacy) promises this one: a request to delete what is kept about this chat's cases.
    "erase": {"删除我的信息", "删除我的个人信息", "删除个人信息", "/forget", "delete my data", "forget me"},
    "resume": {"继续", "继续上次的", "resume", "continue", "continue where i left off"},
    "restart": {"重新开始", "restart", "start again"},
    "en": {"english", "/english", "/lang en", "英文", "英语"},
    "zh": {"中文", "/chinese", "/lang zh", "chinese", "汉语"},
}  # fmt: skip
WORD_OF = {word: meaning for meaning, words in WORDS.items() for word in words}
# What the buttons send beside WORDS: tapped on an earlier message, with nothing told since, they are no story.
BUTTON_DATA = re.compile(r"(?:offer|intent|fix|case):[a-z_]+|same")
CONFIRM_NUMBERS = {"1": "submit", "2": "change", "3": "cancel"}
# Agreeing, alone: at the summary it sends the case; at a question, in the story or at the greeting it tells
# nothing and is never kept (except 是/对 where the place question offered the instrument asked about before).
CONFIRM_YES = frozenset({"对", "对的", "对了", "是的", "是", "没问题", "没错", "正确", "可以", "行", "好的", "嗯",
                         "嗯嗯", "确定", "都对", "都对的", "提交吧", "发吧", "发送", "okay", "correct", "right",
                         "send"})  # fmt: skip
FIX_WORDS = {
    "说明": Step.account, "内容": Step.account, "account": Step.account,
    "类型": Step.choose, "投诉还是举报": Step.choose, "choose": Step.choose, "type": Step.choose,
    "地点": Step.where, "摊位": Step.where, "place": Step.where,
    "时间": Step.when, "when": Step.when, "time": Step.when,
    "金额": Step.amounts, "amounts": Step.amounts, "照片": Step.photos, "photos": Step.photos,
    "姓名": Step.name, "name": Step.name, "电话": Step.phone, "phone": Step.phone,
    "协商": Step.settle, "商家协商": Step.settle, "settle": Step.settle, "settlement": Step.settle,
}  # fmt: skip
# Chinese asks with particles, question words, or by saying a word and its negation (准不准, 合不合格, 签没签), or
# ends on 了没 (签了没有).
QUESTION = re.compile(
    r"[?？]|吗|么|啥|什么|怎么|咋|如何|能不能|能否|可不可以|可以不|是不是|有没有|多久|多长时间|哪里|哪儿|在哪|几点|几楼|几层|"
    r"为什么|为啥|请问|请教|想(?:了解|知道|问问?|咨询)|找谁|找哪|哪个|哪家|哪位|谁家|是谁的|([\u4e00-\u9fff])[不没]\1|了没有?\s*$|"
    r"^\s*(?:what|how|where|is|are|can|could|does|do|why|when|who|which|should)\b|\bwhat (?:should|can|do) i do\b",
    re.IGNORECASE,
)
STATUS = re.compile(r"^(?:进度|查进度|查询进度|/status|status)\s*[:：]?\s*(\S*)$", re.IGNORECASE)
RATE = re.compile(r"^(?:rate:|评价\s*|/rate\s+)([A-Za-z]{2}\d{8}-\d{4,6})?[:\s]*([1-5])$", re.IGNORECASE)
# 「查 7K3MQ-9XR4P」, 「我要查一下 7K3MQ-9XR4P」, 「check S-1」: what follows must look like a code (a digit in its
# first word, or five capitals), so that 「查一下」, 「查处这家店」 and 「check the scale」 stay the shopper's words.
CHECK = re.compile(
    r"^(?:(?:我要|我想|想|请|麻烦你?|帮忙)\s*)?(?:帮我)?(?:查一下|查一查|查下|查查|查询一下|查询|查|(?i:/check|check)"
    # 「扫了码 CODE」, 「刚扫的 CODE」, 「编码是 CODE」: what was scanned, told with the code; a lookup, not a story
    r"|(?:我|刚才?)*扫(?:了|的)?(?:一下)?(?:的|了)?(?:二维码|码)?(?:是)?|(?:贴纸上的)?(?:编码|二维码|码)是?)"
    r"\s*[:：]?\s*"
    r"((?:\(|[0-9A-Za-z-]*\d|[A-Z][A-Z-]{4})\S*(?:\s.*)?)$"
)
START = re.compile(r"^/start(?:\s+(\S+))?$")
COMPLAIN = re.compile(r"^(?:投诉|complain(?: about)?)\s*(\S+)$", re.IGNORECASE)
LINK = re.compile(r"/i/([0-9A-Za-z-]{10,11})\b")
REF = re.compile(r"^[A-Za-z]{2}\d{8}-\d{4,6}$")
CJK = re.compile(r"[\u3400-\u9fff]")
LATIN_WORDS = re.compile(r"[A-Za-z]{2,}\b.*\b[A-Za-z]{2,}")


def words(text: str) -> str:
    """The text as a keyword: traditional characters, width, case and surrounding punctuation do not matter."""
    folded = simplified(text).strip().casefold()  # 我要投訴 is 我要投诉
    folded = folded.strip("。.!！?？~～ ") or folded
    return folded[:-1] + "了" if folded.endswith("啦") and len(folded) > 1 else folded  # 好啦 is 好了, 说完啦 说完了


ENGLISH_WORDS = frozenset((
    "a", "an", "the", "i", "i'm", "my", "me", "we", "our", "you", "it", "it's", "is", "was", "were", "are", "be",
    "been", "this", "that", "there", "here", "and", "but", "or", "so", "of", "to", "for", "in", "on", "at", "with",
    "from", "by", "only", "just", "not", "no", "too", "very", "bought", "buy", "paid", "pay", "got", "get", "gave",
    "give", "weighed", "weigh", "said", "want", "would", "please", "what", "how", "when", "where", "why", "which",
    "who", "today", "yesterday", "morning", "afternoon", "evening",
))  # fmt: skip
# the small words of English sentences: a Chinese message with an English name has none of them
_LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z']*")
# A token with a digit in it is a code, a price or a quantity, never a word of English: the A of 「4A8A7-NVR6P」 is no
# article (it made 「我要查一下 4A8A7-NVR6P」 English)
_WITH_DIGIT = re.compile(r"[A-Za-z0-9']*\d[A-Za-z0-9']*")


def _latin_words(text: str) -> list[str]:
    return [word.casefold() for word in _LATIN_WORD.findall(_WITH_DIGIT.sub(" ", text))]


_ONE_WORD = re.compile(r"[A-Za-z]{2,}[.!?]?")


def english_sentence(text: str) -> bool:
    """Words of an English sentence ("is this scale ok? CODE"), not a code, a button's data or one word."""
    latin = _latin_words(text)
    small = sum(word in ENGLISH_WORDS for word in latin)
    return small >= 2 and len(latin) * 2 >= len(CJK.findall(text))  # Chinese counts about two characters a word


def language_of(text: str) -> str | None:
    """The language of the message as a whole: English words with Chinese names among them are English
    ("bought pork at 南门菜场 this morning"); Chinese with an English name or brand is Chinese."""
    small = sum(word in ENGLISH_WORDS for word in _latin_words(text))
    cjk = len(CJK.findall(text))
    if english_sentence(text):
        return "en"
    if cjk:
        return "zh"
    # "yesterday" or "complaint" alone is English; "ok", "hi" or "hello" alone says nothing of the language
    if LATIN_WORDS.search(text) or small or (_ONE_WORD.fullmatch(text.strip()) and not nothing_but(text, CHATTER_SET)):
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


# --- The everyday words. Each list is what a shopper may type for one meaning; a message means it when, with
# punctuation, spaces and filler words taken out, nothing but such phrases is left ("没拍 不好意思" is a "no").
# To teach the bot a new way of saying something, add it to the list (lower case for English); tests in
# tests/test_dialogue_words.py show what each meaning does at each question. What small talk and the questions
# about the channel itself are answered with is bot/understanding/chatter.py.

NO = (  # no, skip, not now, don't know, can't: the question moves on and nothing is stored as the answer
    "跳过", "下一个", "下一步", "不知道", "不清楚", "不记得", "记不清", "记不得", "忘了", "忘记了", "不确定", "说不清",
    "没有", "没", "无", "没注意", "没看", "没留意", "木有", "没得", "莫得", "冇",
    "没拍", "没拍照", "没有拍", "忘了拍", "没来得及拍", "来不及拍", "不敢拍", "不好拍", "不让拍",
    "发不了", "发不上", "传不了", "上传不了", "发不出去", "没照片", "没有照片", "没图", "没有图", "没图片", "没截图",
    "照片没有", "手机没电", "没找到", "找不到", "找不着", "没找着", "弄丢了", "删了",
    "不用了", "不用", "不需要", "不要", "不必", "先不", "先不发", "以后再说", "回头再说",
    "等会", "等一下再说", "不想说", "不想", "不说", "不说了", "不方便", "不方便说", "不想留", "不想留名字",
    "不留名字", "不留", "不留名", "不想留电话", "不留电话", "不给", "不想给", "不方便留", "不方便给", "保密", "匿名",
    "隐私", "不告诉", "不想告诉", "不发", "不拍", "不用发", "不用拍", "不传", "不改", "不改了", "不用改", "没有要改的",
    "skip", "next", "no", "nope", "none", "no photo", "no photos", "no pic", "no pics", "no picture",
    "no pictures", "didn't take one", "did not take one", "can't", "cannot", "can't send", "don't know",
    "dont know", "not sure", "no idea", "not now", "later", "n/a", "pass", "rather not", "prefer not",
    "i'd rather not", "no name", "anonymous", "private", "nothing to change", "no change", "can't find it",
    "cannot find it", "couldn't find it", "lost it",
)  # fmt: skip
PHOTOS = re.compile(r"拍|照|图|截屏|photo|pic", re.IGNORECASE)  # a "no" that is about the photos (没拍, no pics)
HAVE_ONE = (  # at the photo question: a photo is coming, and the words are neither the story nor any answer
    "有", "有的", "有啊", "有呢", "有有有", "拍了", "拍了的", "拍过", "拍了照", "有拍", "有照片", "有图", "有小票",
    "有截图", "有收据", "有发票", "留了小票", "等一下", "等下", "稍等", "稍等一下", "等等", "我找找", "找找", "找一下",
    "马上发", "这就发", "现在发", "发给你", "我发", "yes", "yeah", "yep", "i have", "i have one", "i have some",
    "i took one", "i took some", "one moment", "wait", "hold on", "sending",
)  # fmt: skip
GIVE_UP = (  # the shopper gives up the story: the draft is dropped, nothing is submitted
    "算了", "算了吧", "算了不弄了", "不弄了", "不搞了", "不办了", "不投诉了", "不举报了", "不要了", "不管了",
    "太麻烦了", "麻烦", "好麻烦", "懒得弄", "懒得弄了", "forget it", "never mind", "nevermind", "give up",
)  # fmt: skip
FILLER = (
    "不好意思", "抱歉", "对不起", "谢谢", "了", "啦", "啊", "呀", "呢", "哦", "噢", "嗯", "吧", "哈", "额", "呃", "唉",
    "哎", "诶", "的", "就", "先", "还是", "我", "真的", "实在", "当时", "也", "都", "那个", "这个", "就是",
    # what a "no" at the name and phone questions is about: 不想给电话, 名字不留, 手机号不方便给
    "电话", "手机", "手机号", "号码", "电话号码", "名字", "姓名", "真名",
    # and at the photo question: 不要照片了, 照片就不发了; 算了 before a "no" gives up only the question
    "照片", "图片", "相片", "图", "算了",
    "sorry", "thanks", "thank you", "please", "i", "oh", "um", "uh", "well", "just", "really",
)  # fmt: skip
FAREWELLS = ("再见", "拜拜", "拜", "bye", "byebye", "goodbye", "88", "好的再见", "谢谢再见", "没事了", "没别的了")
CHATTER = (  # greetings and small talk: answered with a short help line, never a case
    "你好", "您好", "在吗", "在不在", "在么", "有人吗", "有人在吗", "hi", "hello", "hey", "哈喽", "嗨", "喂", "早",
    "早上好", "晚上好", "下午好", "在", "人呢", "请问", "打扰了", "你是谁", "你是机器人吗", "测试", "test", "哈哈",
    "呵呵", "嘿嘿", "好的", "ok", "嗯嗯", "哦哦", "1", "？", "?", "急", "急急急", "很急", "着急", "挺急的", "急事",
    *FAREWELLS,
    # 「是12315吗」: the help line says what this is and where the words go
    "12315", "12315吗", "是12315吗", "这是12315吗", "是不是12315", "这里是12315吗", "你们是政府的吗", "是官方的吗",
    "你们是谁", "你们是哪个部门", "你们是哪里的", "这是哪个单位", "who are you",
    # 「你们是真人吗」「转人工」: the help line says the words go to the station's people
    "你是真人吗", "你们是真人吗", "是真人吗", "真人吗", "是机器人吗", "你们是机器人吗", "是自动回复吗", "是人工吗",
    "有人工吗", "人工", "转人工", "人工客服", "找人工", "are you a bot", "are you a robot", "are you human",
    "is this a bot",
    # a preamble alone ("你好 我想反映个事"): the story comes next, and these words are not its first line
    "想反映个事", "反映个事", "反映个事情", "反映一个事", "反映件事", "反映一件事", "反映个情况", "反映一个情况",
    "反映个问题", "反映一个问题", "反映一下", "想反映", "要反映", "有个事", "有件事", "有个事情", "有个问题", "问个事",
    "问一下", "想问一下", "咨询一下", "想咨询一下", "咨询个事",
)  # fmt: skip
REMEDY = re.compile(  # the shopper asks for a remedy: a complaint (投诉)
    r"退钱|退款|退费|退货|退差价|退还|退我|赔偿|赔钱|赔我|要赔|补足|补齐|补给我|补上|补回|道歉|调解|要回|讨回|拿回|"
    r"重配|重新配|重做|重新做|换货|调换|退换|换一副|免费换|补偿|"
    r"给个说法|给我个说法|讨个说法|我要投诉|我想投诉|来投诉|投诉一下|投诉他|投诉这|refund|compensat|money back|"
    r"make (it )?up|apolog",
    re.IGNORECASE,
)
ENFORCEMENT = re.compile(  # the shopper asks for an investigation: a report (举报)
    r"举报|查处|处罚|处理一下这|严查|查一查|查查|查一下他|管一管|管管|取缔|吊销|立案|罚款|曝光|"
    r"\breport\b|investigat|punish|shut (it|them) down",
    re.IGNORECASE,
)
# The goods or the money came out short, and what was paid: one list each, for the three rules that read a loss.
_SHORT_WORDS = (
    r"少了|少[\d一二两三四五六七八九十半几好]|缺了|短了|只有|不够|差了|少给|亏了|不足|被宰|宰了|坑了|被坑|\bshort"
    r"|[少缺短扣][秤称]"  # 少秤, 缺秤, 短秤, 扣秤 (and 称 typed for 秤)
)
_PAID_WORDS = r"付了|花了|\bpaid\b|\bcharged\b"
SHORTFALL = re.compile(_SHORT_WORDS, re.IGNORECASE)
LOSS_TOLD = re.compile(rf"{_SHORT_WORDS}|{_PAID_WORDS}|给了|收了我|坑", re.IGNORECASE)  # a loss, told as a story
PERSONAL_LOSS = re.compile(  # a purchase of one's own that came out short: a remedy may be owed to the writer
    rf"{_SHORT_WORDS}|{_PAID_WORDS}|我|买|加了|充了|多收|多扣|多算|\bi\b|\bmy\b|\bme\b|bought", re.IGNORECASE
)
WORD_RATINGS = {  # a rating in words, for a case that awaits one
    5: ("很满意", "非常满意", "特别满意", "太满意了", "满意极了", "十分满意", "非常好", "很好", "太好了", "excellent",
        "very satisfied", "very good", "great"),
    4: ("满意", "挺满意", "比较满意", "挺好", "不错", "还不错", "satisfied", "good"),
    3: ("还行", "还可以", "一般", "一般般", "凑合", "马马虎虎", "还好", "ok吧", "so so", "so-so", "okay", "average"),
    2: ("不太满意", "不满意", "不怎么样", "不太好", "not satisfied", "unsatisfied", "poor"),
    1: ("很不满意", "非常不满意", "太差了", "很差", "差劲", "垃圾", "very poor", "terrible", "awful"),
}  # fmt: skip
_SCORE = re.compile(r"^([1-5一二三四五])\s*(?:分|星|stars?|/\s*5|out of 5)$", re.IGNORECASE)
_CN_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5}
_PUNCT_SPACE = re.compile(r"[\s\W_]+", re.UNICODE)


def folded_phrases(phrases: tuple[str, ...]) -> frozenset[str]:
    return frozenset(folded for phrase in phrases if (folded := _PUNCT_SPACE.sub("", phrase.casefold())))


_NO, _GIVE_UP, _HAVE_ONE = folded_phrases(NO), folded_phrases(GIVE_UP), folded_phrases(HAVE_ONE)
FILLER_SET, CHATTER_SET = folded_phrases(FILLER), folded_phrases(CHATTER)
_RATINGS = {folded: value for value, phrases in WORD_RATINGS.items() for folded in folded_phrases(phrases)}


def fold(text: str) -> str:
    """The message folded (traditional characters, width, case), without punctuation, spaces or emoji: 「沒拍」 is
    「没拍」 and 「謝謝」 is 「谢谢」."""
    return _PUNCT_SPACE.sub("", simplified(text).casefold())


def splits_into(core: str, phrases: frozenset[str], fillers: frozenset[str]) -> bool:
    """Whether ``core`` splits wholly into ``phrases`` and ``fillers``, with at least one of ``phrases``."""
    longest = max(map(len, phrases | fillers))
    # reach[i]: 0 unreachable, 1 reached by fillers only, 2 reached with a phrase
    reach = [0] * (len(core) + 1)
    reach[0] = 1
    for start in range(len(core)):
        if not reach[start]:
            continue
        for end in range(start + 1, min(len(core), start + longest) + 1):
            piece = core[start:end]
            if piece in phrases:
                reach[end] = 2
            elif piece in fillers and reach[end] < reach[start]:
                reach[end] = reach[start]
    return reach[len(core)] == 2


def nothing_but(text: str, phrases: frozenset[str], *, limit: int = 24) -> bool:
    """Whether the message is nothing but ``phrases`` and fillers (and short: a story is never this)."""
    core = fold(text)
    return bool(core) and len(core) <= limit and splits_into(core, phrases, FILLER_SET)


_CLAUSE = re.compile(r"[\s,，。.;；!！、]+")


# 「提交吧」「对的 提交吧」「可以提交了」 after some of the story: the shopper has finished, as 提交 says
SUBMIT_SAID = (
    "提交",
    "提交吧",
    "确认提交",
    "可以提交",
    "帮我提交",
    "直接提交",
    "发吧",
    "发出去吧",
    "submit",
    "submit it",
)
_SUBMIT_SAID, AGREEING = folded_phrases(SUBMIT_SAID), folded_phrases((*CONFIRM_YES, "yes", "ok"))


def says_submit(text: str) -> bool:
    """「提交吧」, 「对的 提交吧」, 「好的可以提交了」, "yes submit it": submit, with only agreeing words beside it."""
    core = fold(text)
    return bool(core) and len(core) <= 16 and splits_into(core, _SUBMIT_SAID, AGREEING | FILLER_SET)


def says_no(text: str) -> bool:
    """没拍, 发不了, 不用了, 不想说, 不知道, no photo sorry …: an answer that is no answer."""
    return nothing_but(text, _NO)


def says_no_first(text: str) -> bool:
    """「没照片 手机拍不清楚」, 「不想留 怕麻烦」: a "no" in the first words, then the reason (a short message)."""
    first = _CLAUSE.split(text.strip(), maxsplit=1)[0]
    return says_no(text) or (len(fold(text)) <= 30 and bool(first) and says_no(first))


def has_one(text: str) -> bool:
    """有, 拍了, 「好的 我找找」, yes I have one: a photo is on its way (at any other question, still no answer)."""
    core = fold(text)
    return bool(core) and len(core) <= 16 and splits_into(core, _HAVE_ONE, FILLER_SET | AGREEING)


def gives_up(text: str) -> bool:
    """算了不弄了 麻烦: the shopper drops the story."""
    return nothing_but(text, _GIVE_UP)


def word_rating(text: str) -> int | None:
    """「4分吧」「还行」「很满意」 as a score from 1 to 5, or None."""
    core = fold(text).removeprefix("我").removeprefix("还是")
    if len(core) > 16:
        return None  # a rating is a few words; a story is not one
    for end in range(len(core), 0, -1):  # 「4分吧」「很满意啊」: the rating, then fillers
        head, tail = core[:end], core[end:]
        if tail and not splits_into(tail, FILLER_SET, frozenset()):  # what follows is only 吧, 啊 …
            continue
        score = _SCORE.match(head)
        if score:
            return _CN_DIGITS.get(score.group(1)) or int(score.group(1))
        if head in _RATINGS:
            return _RATINGS[head]
    return None


def wish_of(text: str) -> str | None:
    """What the words ask for: ``complaint`` (a remedy), ``report`` (an investigation), or None (no wish said)."""
    remedy, enforcement = REMEDY.search(text), ENFORCEMENT.search(text)
    if remedy and not enforcement:
        return "complaint"
    if enforcement and not remedy:
        return "report"
    return "complaint" if remedy else None  # both: a complaint (the taxonomy's rule), the report split from it
