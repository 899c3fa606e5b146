"""Intent cues: the turns of phrase taxonomy.md decides intent by, found anywhere in a normalised message.

The linear model sees words and character n-grams, which miss phrases with a gap ("这不是……吗", "要求……退") and
combinations ("I" + "bought" + "got less"). Each cue is one extra feature (``c:name``) that the model weighs like any
other, learned from the training data; ``told_by`` also decides the intent outright (see model.py), because the
taxonomy states that rule without exception: wording by a third party keeps the intent the consumer expressed.
"""

import re
from collections.abc import Collection

# Patterns run on normalize()'s output: Simplified, lower case, NFKC punctuation (",", "?", "!", ":"), digits as 0.
_PATTERNS = {
    "me": r"我|俺|咱|本人|笔者|\b(?:i|my|me|we|our)\b",
    "buy": r"买|付了|花了|加了|交了|充了|充值|配了|点了|抓了|打车|坐了|订了|收到货|收货|到手|拆开"
    r"|bought|paid|filled|ordered",
    "short": r"只有|只剩|才|不到|少了|差了|多收|多扣|多付|多交|多了[^。,]{0,3}倍|翻了?一?倍|翻番|多出"
    r"|偏高|偏大|不够|不足|缩水|越来越少|越来越小|跑得?快|走得?快|贵|涨|高出|离谱|激增|猛增|远超|被宰|宰了|吃了我|坑|冤枉钱|白花"
    r"|\bonly\b|less than|short|overcharg",
    "remedy": r"(?:要求|希望|请|麻烦|恳请|想|帮)[^。!?]{0,12}?(?:退|赔|补|换|重做|重配|说法|公道|调解|解决|协调|要回)"
    r"|退钱|退款|退差价|赔偿|refund|money back|compensat",
    "enforce": r"查处|查一查|查查|去查|严查|核查|彻查|处罚|依法|管管|管一管|没人管|取缔|立案|整治|没收|曝光"
    r"|举报|停用|吊销"
    r"|inspect|investigat|punish|\bfined?\b",
    "rhetoric": r"(?:这|那|岂)(?:难道)?不是[^?。]{0,16}[吗么嘛]|难道[^。]{0,16}[吗么?]|有这样[^?。]{0,12}[吗么]"
    r"|有这么[^?。]{0,12}[吗么]|凭什么|还有没有(?:王法|天理)|(?:怎么|咋)能这样|明明|到底[^。]{0,12}哪",
    # a word said with its negation asks (准不准, 合不合格, 够不够); not in 爱买不买 (take it or leave it) or
    # 吃不吃都… (either way)
    "doubt": r"会不会|是不是|该不会|该不是|不知道是不是|是否合理|请问|怎么办|能不能|可不可以|可以[^?。]{0,10}[吗么]"
    r"|(?<!爱)([\u4e00-\u9fff])不\1(?!都)"
    r"|想问|咨询|求助|有没有(?:人|懂)|怎么(?:查|判断|申请|维权|投诉|识别|分辨|取证)|哪里[^。!,]{0,10}[?吗呢]|(?:在|去|到)哪里|在哪|几点|几楼|谁管|找谁|正常吗|合法吗|算不算"
    r"|\b(?:how|where|who|what|is there|does|can i)\b",
    "suggest": r"建议|希望[^。!?]{0,20}(?:能|尽快|加强|多|规范|重视|关注|推广|公开|公示)|呼吁|应该|应当"
    r"|\bshould\b|suggest",
    "praise": r"点赞|表扬|感谢|谢谢|辛苦|好评|放心多了|规范多了|thank|great|well done",
    "opinion": r"我觉得|我认为|风气|浪费|说到底|越来越|现在的",
    # the writer already went to the merchant or provider and got nowhere: a remedy was sought
    "sought": r"(?:找|问|反映|联系|打电话|投诉)[^。]{0,14}?(?:没有|没|不|一直|也)[^。]{0,8}?"
    r"(?:答复|解决|回应|理|认|承认|说法|结果)"
    r"|不认账|推来推去|推卸|不予理睬|爱买不买",
    "others": r"看到|看见|听说|邻居|同事|朋友|大娘|大爷|老人|老太太|别人|\b(?:saw|heard)\b",
}
_CUES = [(name, re.compile(pattern)) for name, pattern in _PATTERNS.items()]
_CUES_BY_NAME = dict(_CUES)

# A reporter's or a clerk's frame near the start: whose words follow, and what the consumer did (投诉 or 举报).
_TOLD_COMPLAINT = re.compile(
    r"^.{0,16}?(?:消费者|市民|投诉人|车主|居民|乘客|患者|家长|网友|群众|用户|女士|先生|大爷|阿姨|大妈|师傅|来电)"
    r"[^,。!?]{0,8}?(?:投诉|诉称|反映称|向[^,。]{0,6}投诉)"
)
# Regulators' typical-case notices name the consumer by surname + 某 ("王某", "李某某") and tell what the consumer did
# later in the first sentence: "王某在某加油站加油后发现……，随即向12315投诉". 某 before a place ("某超市") is no person.
_NOTICE_COMPLAINT = re.compile(
    r"^(?:[^,。!?]{0,8}[:,])?(?:消费者|当事人)?[王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤]某某?"
    r"(?:先生|女士)?[^。!?]{0,40}?(?:投诉|诉称)"
)
_TOLD_REPORT = re.compile(
    r"^.{0,8}?(?:(?:接到?|据|有|收到)[^,。!?]{0,6}?举报|(?:群众|市民|网友|匿名)[^,。!?]{0,4}?举报|举报人(?:称|反映))"
)


def told_by(norm: str) -> str | None:
    """The consumer's intent when a third party tells their story ("消费者投诉称…", "接群众举报称…"), else None."""
    if _TOLD_REPORT.search(norm):
        return "report"
    if _TOLD_COMPLAINT.search(norm) or _NOTICE_COMPLAINT.search(norm):
        return "complaint"
    return None


# What else a message may ask or tell that takes it out of the presumed complaint: enforcement, an honest question,
# a suggestion, praise, an opinion on a practice, someone else's story.
_NOT_ONLY_A_LOSS = tuple("c:" + name for name in ("enforce", "doubt", "suggest", "praise", "opinion", "others"))


def presumed_complaint(norm: str) -> bool:
    """Taxonomy rules for a complaint told with no stated wish, decided without the model:

    - the writer already went to the merchant or provider and got nowhere (找了…一直没有答复, 不认账): a remedy was
      sought, so the message is a complaint;
    - the writer's own loss (a purchase and a shortfall, no one else named) with a rhetorical question (这不是…吗,
      凭什么, 难道…): indignation, not a question, and the remedy is presumed.

    Either holds only when nothing else is asked or told (enforcement, a question that may be an honest one, a
    suggestion, praise, an opinion, someone else's story); those messages are left to the model."""
    return presumed_complaint_by(cue_features(norm))


def presumed_complaint_by(cues: Collection[str]) -> bool:
    """``presumed_complaint`` from the message's ``cue_features`` (the runtime has them already)."""
    if any(name in cues for name in _NOT_ONLY_A_LOSS):
        return False
    rhetoric = "c:rhetoric" in cues
    if "c:ends_question" in cues and not rhetoric:
        return False  # a question at the end that is no rhetorical one may be an honest question: the model decides
    if "c:sought" in cues:
        return True
    return rhetoric and "c:buy" in cues and "c:short" in cues


def cue_features(norm: str) -> list[str]:
    """``c:`` features of a normalised message: the cues found, their telling combinations, how the text ends."""
    found = {name for name, pattern in _CUES if pattern.search(norm)}
    told = told_by(norm)
    if told:
        found.add("told_" + told)
    # Chinese drops the subject: "付了490元，复秤后被宰了80元" is the writer's own loss unless someone else is named
    if {"buy", "short"} <= found and ("me" in found or "others" not in found):
        found.add("my_loss")
    tail = norm.rstrip(" .。…~")
    if tail.endswith("?"):
        found.add("ends_question")
        # a question after a loss told is mostly indignation; one without a loss, a real question
        found.add("question_after_loss" if "short" in found else "question_alone")
    elif tail.endswith("!"):
        found.add("ends_exclaim")
    return ["c:" + name for name in sorted(found)]
