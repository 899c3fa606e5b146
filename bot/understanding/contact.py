"""Who the shopper is, in their own words: a name and a phone number given together or apart (「我叫张三」,
「张三 13800138000」, 「我电话139… 你们打给我」), and whether a few characters are a person's name at all."""

from __future__ import annotations

import re

from complaints.classify.tokenize import simplified

_CALL_ME = re.compile(r"^(?:我叫|我是|叫我|我姓|姓名|名字|name(?: is)?|my name is|i am|i'm)\s*[:：]?\s*", re.IGNORECASE)
_PHONE_IN = re.compile(r"\+?\d[\d\s-]{5,18}\d")


def name_and_phone(text: str) -> tuple[str, str]:
    """「我叫张三」「张三 13800138000」: the name (without 我叫) and a phone number given with it ("" when none)."""
    found = _PHONE_IN.search(text)
    phone = found.group(0) if found else ""
    rest = (text[: found.start()] + " " + text[found.end() :]) if found else text
    name = _CALL_ME.sub("", rest.strip(" ，,。.;；")).strip(" ，,。.;；")
    name = _CONTACT_LEAD.sub("", name)  # 「我想实名举报 王大明 138…」: the name after what leads into it
    name = _CALL_ME_BACK.sub("", name).strip(" ，,。.;；")  # 「我电话139… 你们打给我」: said around one's own number
    for label in ("电话", "手机", "手机号", "phone"):
        name = name.removesuffix(label).strip(" ，,：:")
    return ("" if found and _OWN_NUMBER.fullmatch(name) else name), phone


# Said before and after one's own number, never a name: 「我电话」「我的手机号是」 … 「你们打给我」「联系我就行」.
# Someone else's number (「老板电话 138…」) has no such words, so it stays part of the story.
_OWN_NUMBER = re.compile(
    r"(?:我的?|本人的?)(?:联系)?(?:电话|手机|手机号|电话号码|手机号码|号码|联系方式)?(?:是|为)?|"
    r"my(?: (?:phone|mobile|cell))?(?: number)?(?: is)?",
    re.IGNORECASE,
)
_CALL_ME_BACK = re.compile(
    r"[，,。\s]*(?:有事|麻烦|请)?(?:你们|您)?(?:可以)?(?:直接)?(?:打给我|打我电话|打这个(?:电话|号码?)?|联系我|给我打电话|"
    r"回电话?给我|给我回电话?|call me|contact me)(?:吧|就行|就好|就可以|了)?[。！!.]*$",
    re.IGNORECASE,
)


_CONTACT_LEAD = re.compile(
    r"^.*?(?:实名(?:举报|投诉|反映)?|联系方式|联系人|留个?(?:名字|姓名|电话|联系方式)|名字是|姓名是)[是为:：,，\s]*"
)
_NOT_IN_NAMES = re.compile(r"[秤斤两元钱块少缺短不没有吗呢了啊吧的是在我你他她它这那么什怎样好谢投诉举报进度查]")


# The common surnames (about nine in ten people in China): a name alone must start with one, so that a short
# story ("被宰") is never taken for a name. Add more here when a real name is missed.
SURNAMES = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪"
    "范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜"
    "倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲"
    "房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商"
    "刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝"
)
COMPOUND_SURNAMES = ("欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "令狐", "夏侯")


def looks_like_name(text: str) -> bool:
    """「张三」「王小明」「我叫李娜」: a name by itself (2–4 Chinese characters, or after 我叫), not a story."""
    if _CALL_ME.match(text.strip()) and len(text) <= 30:
        return True
    if not re.fullmatch(r"[\u4e00-\u9fff]{2,4}", text) or _NOT_IN_NAMES.search(text):
        return False
    return is_surname(text[0]) or simplified(text).startswith(COMPOUND_SURNAMES)


def is_surname(text: str) -> bool:
    """One of the common surnames, written simplified or traditional (陳, 劉, 黃 as typed in Hong Kong or Taiwan)."""
    return text in SURNAMES or simplified(text) in SURNAMES


# 「……特此投诉。联系人：王明 电话：13612345678」: a letter signs off with its writer's contact; 「…少了二两，我叫王芳，
# 电话138…，要求退钱」 tells it in a clause of its own. The words that lead into it stand after a stop or a space
# (not 「老板电话：138…」, someone else's number, which stays story).
_SIGN_OFF = r"(?<![\u4e00-\u9fffA-Za-z])"
_NUMBER = r"(?P<phone>\+?\d[\d\s-]{5,18}\d)(?:[。.！!\s]*$|[，,；;。.！!]\s*(?=\S)|\s+(?=[^\d\s]))"
_SIGNED = re.compile(
    _SIGN_OFF + r"(?:联系人|投诉人|举报人|反映人|姓名|我叫|本人|name)\s*[:：]?\s*"
    r"(?P<name>[\u4e00-\u9fff]{1,4}|[A-Za-z][A-Za-z .]{1,30}?)"
    r"[，,；;\s]*(?:我的)?(?:联系)?(?:电话|手机|手机号|手机号码|电话号码|tel|phone)(?:是)?\s*[:：]?\s*"
    + _NUMBER
    + r"|"
    + _SIGN_OFF
    + r"(?:联系电话|联系方式|联系手机|本人电话|本人手机|tel|phone)\s*[:：]\s*"
    + _NUMBER.replace("phone", "alone"),
    re.IGNORECASE,
)


def signed_off(text: str) -> tuple[str, str, str] | None:
    """A contact the words end with (「联系人：王明 电话：136…」) or hold in a clause of their own: (the words
    without it, the name or "", the phone), or None. Only after some words: a bare 「联系人：王明 电话：…」 is a
    contact line, which the dialogue reads too."""
    found = _SIGNED.search(text)
    if found is None or not text[: found.start()].strip(" ，,。；;"):
        return None
    before, after = text[: found.start()].rstrip(" ，,；;"), text[found.end() :].strip()
    return (
        f"{before}，{after}" if after else before,
        (found.group("name") or "").strip(),
        found.group("phone") or found.group("alone"),
    )
