"""Real-style training examples: the hand-written pieces of ``pieces.tsv`` told the ways real people tell them.

Real messages differ from our first training data in style more than in content: a loss told as a story with no
wish at all, a rhetorical question instead of a demand, a reporter or a hotline clerk telling a consumer's story in
the third person, a letter to a government mailbox, a question on a Q&A site, a long ramble. Each piece keeps its
category; the frame and the ending decide the intent, by the rules of taxonomy.md:

- a ``loss`` (the writer's own) told bare, with the merchant's answer, with emotion or with a rhetorical question is
  a complaint; with a remedy asked too; with only enforcement asked it is a report; with an honest question, an
  inquiry. Told by a third party it keeps the intent of the verb: 投诉/反映 a complaint, 举报 a report.
- someone else's ``loss`` pointed out is a report, and with a suggestion drawn from it, feedback.
- a ``sight`` (a violation seen, no loss of one's own) is a report, bare or framed as a tip-off; with a suggestion
  it is feedback; with an honest question, an inquiry.
- an ``opinion`` is feedback, a ``question`` an inquiry.
- two losses, two opinions or two sightings of one category told together (``longer``) keep their kind's intent:
  real messages run longer than single pieces.
"""

import random
import re
from pathlib import Path

HERE = Path(__file__).parent

PRELUDES = [
    "",
    "",
    "",
    "事情是这样的，",
    "我想反映一个问题：",
    "我平时很少投诉，这次实在忍不了了。",
    "说出来都不好意思，",
    "前几天，",
    "上个月，",
    "今天上午，",
    "我是一名退休职工，",
    "大家帮我评评理，",
    "尊敬的领导：您好！",
    "领导您好，我是城南的一位居民，",
    "市长您好！",
    "你好，",
    "本人",
]
RESPONSES = [
    "",
    "，老板还说他的秤是准的",
    "，店员说是正常损耗",
    "，找老板理论，他说爱买不买",
    "，打了好几次电话都没人解决",
    "，客服一直推来推去",
    "，去问了，对方说系统没问题",
    "，营业厅的人说表没问题，让我们自己找原因",
    "，商家说我们不懂",
    "，从店员到经理都说没问题",
    "，对方一口咬定是我们自己弄错了",
]
FEELINGS = [
    "",
    "。",
    "！",
    "，真是气死人了",
    "，心里很不舒服",
    "，太坑人了！",
    "，这生意做得也太黑了",
    "，实在想不通",
    "，越想越窝火",
    "，这不是欺骗消费者吗？",
    "，有这样做生意的吗？",
    "，这还有没有王法了？",
    "，凭什么让我们买单？",
    "，钱是大风刮来的吗？",
    "，难道就这么算了？",
    "，说好的诚信经营呢？",
    "……",
    "，怎么会差这么多？",
    "，多出来的钱到底去哪了？",
    "，这钱花得也太冤了吧？",
]
# Indignant questions after a loss told: still a complaint (the writer is not asking for information).
LOSS_QUESTIONS = [
    "，钱到底花到哪里去了？",
    "，这账是怎么算的？",
    "，凭什么多收我的钱？",
    "，怎么平白无故多了这么多？",
    "，我的钱就这么白花了？",
    "，这难道不是坑人吗？",
    "，你说气人不气人？",
    "，同样的钱怎么就少了这么多？",
    "，明明是他们的问题，怎么反倒怪我？",
    # a loss of one's own put as a question is still the loss told: 「…才五斤，是不是被坑了？」
    "，是不是被坑了？",
]
REMEDIES = [
    "，要求退还差价",
    "，希望能把多收的钱退给我",
    "，恳请领导帮忙协调解决",
    "，希望相关部门帮我讨回公道",
    "，希望给个合理的解释并退费",
    "，要求商家赔偿",
    "，请帮忙调解",
    "，要求重新检测并退还多收的费用",
]
ENFORCEMENT_ONLY = [
    "，钱不多就算了，只希望有关部门去查查他",
    "，我不要赔偿，就想让你们管管这种人",
    "，请执法部门依法查处",
    "，请市场监管部门去查一查",
    "，损失我自己认了，但这种行为必须有人管",
    "，我要举报这个商家",
    # not the money but the practice, and the others it catches: enforcement, not a remedy
    "，钱不多，可吃这种亏的肯定不止我一个，所以我要说出来",
    "，不是在乎这几块钱，是这种做法不能再由着他们了",
    "，我不图退钱，就想让管事的知道有这种事",
]
DOUBTS = [
    "，不知道是不是秤有问题？",
    "，会不会是表坏了？",
    "，这种情况正常吗？",
    "，请问该找哪个部门？",
    "，有没有人遇到过？该怎么办？",
    "，想问问这种能不能投诉？",
    "，请问这种情况怎么维权？",
]
SIGHT_ENDINGS = ["", "", "。", "！", "，希望有关部门关注一下", "，真是太猖狂了", "，没人管吗？", "，请你们去看看"]
SUGGESTIONS = [
    "，建议有关部门加强管理",
    "，希望以后能多抽查",
    "，建议设个专门的监督电话",
    "，希望能尽快整改",
]
# Someone else's loss, seen or heard of: pointing it out is a report, a suggestion drawn from it is feedback.
OTHERS_FRAMES = [
    "听邻居说，{story}",
    "前几天看到一位大爷{story}",
    "我同事{story}",
    "朋友跟我讲，{story}",
    "旁边一位阿姨{story}",
]
GENERAL_SUGGESTIONS = [
    "，建议市场多设几台公平秤",
    "，希望管理部门多巡查，别让老实人吃亏",
    "，建议把这类商户公示出来",
    "。希望有关部门加强日常监管",
    "。以后能不能在显眼的地方设个复秤点，方便大家",
    "，希望管理部门定期公布抽查结果，给大家一个放心的购物环境",
]
SIGHT_DOUBTS = ["，这种情况合法吗？", "，这样算不算违规？", "，能举报吗？", "，请问归谁管？"]
OPINION_HEADS = ["", "", "", "提个建议：", "说句心里话，", "我觉得", "作为一个普通市民，"]
QUESTION_HEADS = ["", "", "求助：", "请问大家，", "网友提问：", "有没有懂的朋友，", "咨询一下，", "想问一下，"]
QUESTION_TAILS = ["？", "？", "?", "？谢谢", "？在线等", ""]

NAMES = ["王女士", "李先生", "张大爷", "刘阿姨", "陈先生", "赵女士", "周先生", "孙女士", "吴先生", "郑阿姨"]
# Someone else tells the consumer's story; the verb they report is the consumer's intent.
COMPLAINT_FRAMES = [
    "近日，市民{name}向记者反映，{story}",
    "{name}告诉记者，{story}",
    "据{name}介绍，{story}",
    "消费者{name}投诉称，{story}",
    "{name}来电反映，{story}",
    "12345热线接到市民来电，反映{story}",
    "{name}拨打12315投诉，{story}",
    "投诉人称，{story}",
    "据消费者反映，{story}",
    "家住城西的{name}说，{story}",
]
REPORT_FRAMES = [
    "接群众举报称，{story}",
    "有市民举报，{story}",
    "接到匿名举报，{story}",
    "举报人称，{story}",
    "网友爆料，{story}",
    "记者暗访发现，{story}",
    "执法人员检查时发现，{story}",
    "据群众举报，{story}",
]

_FIRST_PERSON = [("我们家", "他们家"), ("我家", "其家"), ("我们", "他们"), ("俺", "其"), ("我", "其")]
_FEMALE = re.compile(r"女士|阿姨|大妈")


def third_person(story: str, name: str) -> str:
    """The writer's words as a reporter retells them: 我 becomes 她/他 (其 where no name was given)."""
    pronoun = "她" if _FEMALE.search(name) else "他" if name else "其"
    for first, third in _FIRST_PERSON:
        story = story.replace(first, third.replace("其", pronoun))
    return story


def pieces() -> list[tuple[str, str, str]]:
    """(kind, category, text) rows of ``pieces.tsv``."""
    rows = []
    for line in (HERE / "pieces.tsv").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            kind, category, text = line.split("\t", 2)
            rows.append((kind, category, text))
    return rows


def _framed(rng: random.Random, frames: list[str], story: str) -> str:
    frame = rng.choice(frames)
    name = rng.choice(NAMES) if "{name}" in frame else next((n for n in ("阿姨", "大爷") if n in frame), "")
    return frame.format(name=name, story=third_person(story, name))


def told_loss(rng: random.Random, category: str, story: str) -> list[tuple[str, str, str]]:
    rows = [
        (category, "complaint", story),
        (category, "complaint", rng.choice(PRELUDES) + story + rng.choice(RESPONSES) + rng.choice(FEELINGS)),
        (category, "complaint", _framed(rng, COMPLAINT_FRAMES, story) + rng.choice(["。", "", "。"])),
        (category, "complaint", rng.choice(PRELUDES) + story + rng.choice(REMEDIES)),
        (category, "complaint", story + rng.choice(RESPONSES) + rng.choice(LOSS_QUESTIONS)),
    ]
    if rng.random() < 0.5:
        rows.append((category, "inquiry", story + rng.choice(DOUBTS)))
    if rng.random() < 0.4:
        rows.append((category, "report", story + rng.choice(ENFORCEMENT_ONLY)))
    if rng.random() < 0.15:
        rows.append((category, "report", _framed(rng, REPORT_FRAMES, story) + "。"))
    if rng.random() < 0.3:
        heard = _framed(rng, OTHERS_FRAMES, story)
        rows.append((category, "feedback", heard + rng.choice(GENERAL_SUGGESTIONS)))
        rows.append((category, "report", heard + rng.choice(["", "，你们管不管？", "，请去查一查"])))
    return rows


def told_sight(rng: random.Random, category: str, story: str) -> list[tuple[str, str, str]]:
    rows = [
        (category, "report", story + rng.choice(SIGHT_ENDINGS)),
        (category, "report", _framed(rng, REPORT_FRAMES, story) + "。"),
    ]
    if rng.random() < 0.4:
        rows.append((category, "feedback", story + rng.choice(SUGGESTIONS)))
    if rng.random() < 0.4:
        rows.append((category, "inquiry", story + rng.choice(SIGHT_DOUBTS)))
    return rows


def real_style(rng: random.Random) -> list[tuple[str, str, str]]:
    """(category, intent, text) examples built from every piece, in a fixed order for a fixed seed."""
    rows: list[tuple[str, str, str]] = []
    for kind, category, text in pieces():
        if kind == "loss":
            rows += told_loss(rng, category, text)
        elif kind == "sight":
            rows += told_sight(rng, category, text)
        elif kind == "opinion":
            rows.append((category, "feedback", text))
            rows.append((category, "feedback", rng.choice(OPINION_HEADS) + text + rng.choice(["", "。", "！"])))
        elif kind == "question":
            rows.append((category, "inquiry", text + "？"))
            rows.append((category, "inquiry", rng.choice(QUESTION_HEADS) + text + rng.choice(QUESTION_TAILS)))
        else:
            raise ValueError(f"pieces.tsv: unknown kind {kind!r}")
    return rows + longer(random.Random(20261206))  # noqa: S311 - reproducible data, not security


# Real messages run longer than our pieces (a median of ~45 characters against ~30, a tenth over 100): a comment
# goes on to a second remark, a tip-off to a second sighting, a loss to the time before. Two pieces of one kind and
# one category told together keep that kind's intent.
LONG_KINDS = {"loss": "complaint", "opinion": "feedback", "sight": "report"}
LONG_JOINS = ["。", "，", "。还有，", "。再说，"]


def longer(rng: random.Random) -> list[tuple[str, str, str]]:
    """Each loss, opinion and sighting followed by another of its kind and category."""
    by: dict[tuple[str, str], list[str]] = {}
    for kind, category, text in pieces():
        if kind in LONG_KINDS:
            by.setdefault((kind, category), []).append(text)
    rows = []
    for (kind, category), texts in sorted(by.items()):
        if len(texts) < 2:
            continue
        for first in texts:
            second = rng.choice([t for t in texts if t != first])
            rows.append((category, LONG_KINDS[kind], first + rng.choice(LONG_JOINS) + second))
    return rows
