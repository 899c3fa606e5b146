"""Deterministic training-data generator: ``python -m complaints.classify.data.generate`` writes train.jsonl.

Two parts: ``handwritten.tsv`` (written by hand, one example a line: category, intent, text) and templated
examples that wrap the hand-written stories of ``fragments.py`` in the ways shoppers ask for things, with the
noise real messages carry (run-ons from voice input, typos and homophones, emotion). A fixed seed keeps the
output byte-identical; the output is committed, and model.json is trained from it.
"""

import json
import random
import re
from pathlib import Path

from ..taxonomy import CATEGORIES as CATEGORY_ORDER
from .fragments import FEEDBACK, LOSSES, QUESTIONS, SIGHTINGS
from .styles import real_style

HERE = Path(__file__).parent

# Not about measurement: a loss of one's own, and things seen.
OTHER_LOSSES = [
    "在夜市买的凉拌菜，吃完胃疼了一晚上",
    "饭店的菜里吃出了头发，服务员态度还很差",
    "健身房老板跑路了，卡里还有两千多没用",
    "快递三天了还没到，客服一直不回消息",
    "便利店店员多刷了我一次卡还不承认",
    "出租车司机故意绕路，还一路上抽烟打电话",
    "网约车司机态度恶劣，半路把我赶下车",
    "买的手机是翻新机，商家不给退",
    "酒店取消了我的预订，押金一直不退",
    "装修公司拿了定金不干活",
    "培训机构关门了，学费退不回来",
    "外卖送来的饭是馊的，商家不理人",
    "商场的停车费乱收，出口排了半小时队",
    "买的衣服洗一次就掉色，店家说不退",
    "美容院办卡的时候说的项目现在都不给做",
]
OTHER_SIGHTINGS = [
    "蛋糕店的蛋糕过期了还在卖",
    "隔壁烧烤店每天半夜还很吵",
    "楼下小饭馆把油烟直接排到小区里",
]

COMPLAINT_TAILS = [
    "，要求退差价",
    "，要求退款",
    "，我要求赔偿",
    "，希望你们帮我把钱要回来",
    "，要求商家给个说法",
    "，请帮我维权，要求退钱",
    "，要求补足并道歉",
    "。我要投诉，要求赔偿损失",
    " 要求退钱",
    "，钱必须退给我",
    "，老板不认账，麻烦帮忙调解退钱",
    "，能不能帮我把钱要回来？",
    "，钱得退我吧",
    "，我想要回差价",
    "，希望商家赔我损失",
    "，请帮我调解",
    "，就想讨个说法，把钱退给我",
    "，让他把多收的钱吐出来",
    "，请帮我处理一下，把多收的退给我",
    "，希望得到合理赔偿",
    "，找他理论还骂人，要求退钱道歉",
]
SPECIFIC_TAILS = {
    "fuel_dispenser": ["，要求加油站补足", "，要求退多扣的钱", "，要求查看加油机检定记录并退钱"],
    "taxi_meter": ["，要求退多收的车费", "，要求出租车公司退钱", "，发票在我手上，要求退费"],
    "utility_meter": ["，要求重新校验表并退多收的费用", "，要求按实际用量重新算", "，要求换表退费"],
    "eyeglasses": ["，要求免费重配", "，要求退款重做", "，要求眼镜店赔偿"],
    "medical_instrument": ["，要求重新检测并更正报告", "，要求药店补足药量", "，要求医院给个说法"],
    "prepackaged_net_content": ["，要求退货退款", "，要求卖家补发"],
    "over_packaging": ["，要求退货"],
    "price_marking": ["，要求按标价退差价", "，要求退多收的钱"],
    "other": ["，要求退款", "，要求赔偿", "，要求道歉"],
}
REPORT_HEADS = ["", "", "", "举报：", "实名举报，", "反映一个情况：", "我要举报，", "举报一下，"]
# Enforcement asked: a loss told with one of these and no remedy is a report.
REPORT_TAILS = [
    "，希望有关部门管管",
    "，请你们去查一下",
    "，请执法人员去查",
    "。举报！",
    "，这种行为必须严查",
    "，请依法处理",
    "，要求查处",
    "，要求市场监管部门严肃处理",
    "，请求依法处罚这个商户",
    "，要求没收他的秤",
    "，要求对这家店进行检查",
    "，我的钱不要了，但这种行为得有人管",
    "，怎么就没人管呢？",
]
# A violation seen needs no ask to be a report.
SIGHTING_TAILS = ["", "", "", "，已经好多人被坑了", "，不是第一次了", "，市场管理的人也不管", *REPORT_TAILS]
INQUIRY_TAILS = [
    "，这种情况算违规吗？",
    "，我该找谁？",
    "，能投诉吗？",
    "，这正常吗？",
    "，这合法吗？",
    "，怎么维权？",
    "，可以举报吗？需要什么证据",
    "，请问该怎么处理？",
]
Q_HEADS = ["", "请问", "你好，想问一下", "问一下，", "咨询一下，", "想了解下，", "求问，", "有谁知道", "请教一下，"]
Q_TAILS = ["？", "?", "", "？谢谢", "呀？", "啊"]
FB_HEADS = ["", "", "提个建议：", "说一句，", "小建议，", "表扬一下："]
FB_TAILS = ["", "！", "，谢谢", "，辛苦了", "👍"]
MOODS = ["气死我了，", "太过分了！", "真是无语了，", "黑心商家！", "服了，", "哎，", "我跟你说，", "坑人啊，"]
TYPOS = [
    ("秤", "称"),
    ("的", "得"),
    ("燃气", "燃汽"),
    ("眼镜", "眼睛"),
    ("计价器", "计价机"),
    ("检定", "鉴定"),
    ("老板", "老版"),
    ("要求", "要球"),
    ("多少", "多小"),
    ("退款", "退宽"),
]


def noisy(text: str, rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.2:
        # voice-to-text run-on: no punctuation, fillers
        text = re.sub(r"[，。！？、：,.!?:]", rng.choice([" ", "", " 就是 ", "然后"]), text)
    elif roll < 0.35:
        for a, b in rng.sample(TYPOS, 3):
            text = text.replace(a, b, 1)
    elif roll < 0.5:
        text = rng.choice(MOODS) + text + rng.choice(["！！", "！", "。。。", "??", ""])
    return text


def _told(
    category: str, stories: list[str], tails: list[str], report_tails: list[str], rng: random.Random
) -> list[tuple[str, str, str]]:
    """Each story as a complaint and as a report (twice), and now and then as a question."""
    rows: list[tuple[str, str, str]] = []
    for story in stories:
        for _ in range(2):
            rows.append((category, "complaint", noisy(story + rng.choice(tails), rng)))
            text = rng.choice(REPORT_HEADS) + story + rng.choice(report_tails)
            rows.append((category, "report", noisy(text, rng)))
        if rng.random() < 0.5:
            rows.append((category, "inquiry", noisy(story + rng.choice(INQUIRY_TAILS), rng)))
    return rows


def templated(rng: random.Random) -> list[tuple[str, str, str]]:
    rows: list[tuple[str, str, str]] = []
    losses = dict(LOSSES, other=OTHER_LOSSES)
    sightings = dict(SIGHTINGS, other=OTHER_SIGHTINGS)
    for category in CATEGORY_ORDER:
        tails = COMPLAINT_TAILS + SPECIFIC_TAILS.get(category, []) * 2
        rows += _told(category, losses.get(category, []), tails, REPORT_TAILS, rng)
        rows += _told(category, sightings.get(category, []), tails, SIGHTING_TAILS, rng)
    for category, questions in QUESTIONS.items():
        for q in questions:
            for _ in range(2):
                rows.append((category, "inquiry", noisy(rng.choice(Q_HEADS) + q + rng.choice(Q_TAILS), rng)))
    for category, lines in FEEDBACK.items():
        for line in lines:
            for _ in range(3):
                rows.append((category, "feedback", rng.choice(FB_HEADS) + line + rng.choice(FB_TAILS)))
    return rows


def mash(rng: random.Random) -> list[tuple[str, str, str]]:
    """Keyboard mash and filler noise: other + feedback by the taxonomy's rule."""
    rows = ["qwertyuiop", "asdfghjkl", "zxcvbnm", "1234567890"]
    fillers = "啊哦呃嗯哈嘿呵额噢唉嘻咦"
    out = []
    for _ in range(30):
        row = rng.choice(rows)
        start = rng.randrange(len(row) - 2)
        chunk = row[start : start + rng.randint(3, 7)]
        out.append(("other", "feedback", chunk * rng.randint(1, 3)))
    for _ in range(20):
        out.append(("other", "feedback", rng.choice(fillers) * rng.randint(3, 9)))
    for _ in range(10):
        out.append(("other", "feedback", "".join(rng.choice(fillers) for _ in range(rng.randint(4, 8)))))
    return out


def handwritten() -> list[tuple[str, str, str]]:
    rows = []
    for line in (HERE / "handwritten.tsv").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            category, intent, text = line.split("\t", 2)
            rows.append((category, intent, text.replace("\\n", "\n")))
    return rows


def main() -> None:
    rng = random.Random(20261123)  # noqa: S311 - a fixed seed for reproducible data, not security
    seen: set[str] = set()
    out: list[dict[str, str]] = []
    # The real-style part draws from its own seeded generator, so adding pieces leaves the rest unchanged.
    styled = real_style(random.Random(20261204))  # noqa: S311 - reproducible data, not security
    for category, intent, text in handwritten() + templated(rng) + mash(rng) + styled:
        if text not in seen:
            seen.add(text)
            out.append({"id": f"t{len(out) + 1:04d}", "text": text, "intent": intent, "category": category})
    with (HERE / "train.jsonl").open("w", encoding="utf-8") as f:
        for row in out:
            f.write(json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n")
    print(f"wrote {len(out)} examples")


if __name__ == "__main__":
    main()
