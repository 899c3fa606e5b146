"""Conversations typed the way shoppers type on a phone (the script type and the shopper who plays one are in
tests/dialogue_shopper.py).

Each script is one person: what they send unprompted (``opening``), the facts those messages already carry
(``told``), what they answer when asked (``answers``; an answer in ``refusals`` is a way of saying no, which must
never be stored as the fact) and what the case should be. The words are ours, written for this corpus in the
style of chat messages (short, typos, 斤两, dialect); none is copied from the real-text evaluation files.

The shopper is driven by the dialogue's state, not by the bot's wording, so the corpus measures the dialogue's
behaviour (tests/dialogue_shopper.py): messages to the receipt, questions about facts already given, refusals stored as
data, cases made from chit-chat. ``bench/dialogue.py`` prints those figures; ``tests/test_dialogue_corpus.py``
holds the dialogue to what it already does right.
"""

from __future__ import annotations

from tests.dialogue_shopper import Script, script

NAN = "南门市场监管所"
DONG = "东街市场监管所"
XI = "西湖市场监管所"


CONVERSATIONS: tuple[Script, ...] = (
    # One message with place, time and amounts: the target is a receipt within six shopper messages.
    script(
        "one-message pork",
        "今天上午在南门菜场买猪肉 付了56块 2斤 回家称只有1斤7两 秤有问题 要退钱",
        told="where when amounts",
        station=NAN,
    ),
    script(
        "one-message fish",
        "东街市场唐记水产昨天下午买的鲈鱼 说是3斤 家里称2斤4两 给了90块 太坑了 退我差价",
        told="where when amounts",
        station=DONG,
    ),
    script(
        "one-message fruit",
        "前天在西湖水产市场买虾 称的4斤 实际3斤2两 花了160 要求赔偿",
        told="where when amounts",
        station=XI,
    ),
    script(
        "one-message veg",
        "南门农贸市场张记蔬菜22号 今早买青菜69块10公斤 实际9.2公斤 少了",
        told="where when amounts",
        station=NAN,
    ),
    script(
        "one-message kg",
        "东街菜市场 上周五 牛肉 5kg 付了400 回家称4.3kg 要退钱",
        told="where when amounts",
        station=DONG,
    ),
    script(
        "one-message shrimp",
        "西湖海鲜市场买的基围虾 今天中午 3斤给了180 复称少了半斤 鬼秤",
        told="where when amounts",
        station=XI,
    ),
    script("one-message eggs", "南门菜场鸡蛋 昨天 称5斤付了35 回家4斤3两", told="where when amounts", station=NAN),
    script(
        "one-message beef",
        "东街市场 今天早上 牛腩 2斤3两 收了92 实际不到2斤 缺秤",
        told="where when amounts",
        station=DONG,
    ),
    # Stories told over several messages, the way a hurried shopper types.
    script(
        "pieces",
        "在吗",
        "南门菜场买肉被坑了",
        "秤不准",
        "2斤只有1斤6两",
        told="where amounts",
        station=NAN,
        when="今天",
    ),
    script(
        "pieces east",
        "东街市场那个卖牛肉的",
        "称重有问题",
        "少了好几两",
        told="where",
        station=DONG,
        when="昨天晚上",
        amounts="80块 3斤 实际2斤5两",
    ),
    script(
        "pieces seafood",
        "海鲜市场买螃蟹",
        "秤砣有问题吧",
        "少了",
        told="",
        when="上午",
        amounts="4只 150块",
        where="西湖水产市场 12号",
        station=XI,
    ),
    script(
        "typo heavy",
        "买肉缺斤少两了 南门菜场 老扳的称有问题",
        told="where",
        station=NAN,
        when="今天上午 10点多",
        amounts="付了48 说2斤 实际1斤半",
    ),
    script(
        "dialect", "在南门菜场称了二斤三两排骨 到家只有一斤八两 鬼秤啊", told="where amounts", station=NAN, when="今早"
    ),
    script(
        "dialect two",
        "东街市场卖菜的秤砣做了手脚 三斤变两斤半",
        told="where amounts",
        station=DONG,
        category="tampered_instrument",
        when="昨天",
    ),
    script(
        "numbers chinese",
        "南门市场买了三斤二两苹果 回家称只有二斤八两 花了三十二块",
        told="where amounts",
        station=NAN,
        when="今天下午",
    ),
    # Refusals and skips at the questions: never stored as the answer.
    script(
        "no photo variants",
        "南门菜场买排骨少了3两 今天上午 付了65",
        told="where when amounts",
        station=NAN,
        photos="没拍",
        refuse="photos",
    ),
    script(
        "photo cannot",
        "东街菜市场 昨天 鱼 2斤 少了4两 给了58",
        told="where when amounts",
        station=DONG,
        photos="发不了",
        refuse="photos",
    ),
    script(
        "photo afraid",
        "西湖水产市场 今天 虾 少秤 3斤只有2斤6两 付了150",
        told="where when amounts",
        station=XI,
        photos="不敢拍",
        refuse="photos",
    ),
    script(
        "photo none",
        "南门菜场 前天 猪蹄 3斤 付了75 回家2斤5两",
        told="where when amounts",
        station=NAN,
        photos="没照片",
        refuse="photos",
    ),
    script(
        "photo no thanks",
        "东街市场 上午 羊肉 2斤 80块 回家1斤6两",
        told="where when amounts",
        station=DONG,
        photos="不用了",
        refuse="photos",
    ),
    script(
        "name refused",
        "南门菜场 今天 买鸡 说4斤 实际3斤5两 120块 要退钱",
        told="where when amounts",
        station=NAN,
        name="不想留名字",
        refuse="name",
    ),
    script(
        "phone refused",
        "东街菜市场 今天 猪肉 2斤 实际1斤7两 付了60 退钱",
        told="where when amounts",
        station=DONG,
        phone="不想说",
        refuse="phone",
    ),
    script("place unknown", "买的香蕉少了 称3斤实际2斤半", told="amounts", where="不知道", refuse="where", when="昨天"),
    script(
        "time unknown",
        "南门菜场 豆腐 2斤只有1斤7 付了8块",
        told="where amounts",
        station=NAN,
        when="记不清了",
        refuse="when",
    ),
    script(
        "skip amounts",
        "东街市场 今天早上 买菜被坑 秤不准",
        told="where when",
        station=DONG,
        amounts="不知道",
        refuse="amounts",
    ),
    script(
        "english no photo",
        "bought pork at 南门菜场 this morning, paid 40 yuan for 1kg, got 800g",
        told="where when amounts",
        station=NAN,
        photos="no photo sorry",
        refuse="photos",
    ),
    # Other categories, from the place or the instrument.
    script(
        "fuel",
        "鼓楼石化加油站 今天加了200块的油 感觉少了好多 加油机有问题",
        told="where when amounts",
        category="fuel_dispenser",
        station=XI,
    ),
    script(
        "fuel two",
        "在鼓楼石化加的92号 油箱50升 加了52升 不可能",
        told="where amounts",
        category="fuel_dispenser",
        station=XI,
        when="昨天晚上",
    ),
    script(
        "glasses",
        "明亮眼镜店配的眼镜度数不对 戴了头晕",
        told="where",
        category="eyeglasses",
        station=NAN,
        when="上个月",
        amounts="680元",
    ),
    script(
        "supermarket", "惠民超市鼓楼店 买的散装大米 称的5斤回家4斤6两", told="where amounts", station=DONG, when="周日"
    ),
    script(
        "blood pressure",
        "鼓楼社区卫生服务中心的血压计量得不准 高了20多",
        told="where",
        category="medical_instrument",
        station=DONG,
        when="今天上午",
        amounts="没花钱",
    ),
    script(
        "water meter",
        "家里水表走得特别快 这个月用了40吨 平时才10吨",
        told="amounts",
        category="utility_meter",
        where="鼓楼区南门路 小区",
        when="这个月",
    ),
    script(
        "taxi", "打车计价器跳得太快 3公里收了45", told="amounts", category="taxi_meter", where="火车站打的", when="昨晚"
    ),
    script(
        "price",
        "南门菜场标价12块一斤 结账按15算的",
        told="where amounts",
        category="price_marking",
        station=NAN,
        when="今天",
    ),
    script(
        "packaging",
        "月饼盒子包装太夸张 里面就4个",
        told="amounts",
        category="over_packaging",
        intent="report",
        where="惠民超市鼓楼店",
        when="上周",
    ),
    script(
        "net content",
        "买的预包装坚果标500克 实际只有430克",
        told="amounts",
        category="prepackaged_net_content",
        where="惠民超市",
        when="前天",
    ),
    # Reports: an investigation wished for, may stay anonymous.
    script(
        "report",
        "举报南门菜场有个摊位秤做了手脚 好多人被坑 希望查处",
        told="where",
        intent="report",
        category="tampered_instrument",
        station=NAN,
        when="最近一直这样",
        name="不留了",
        refuse="name",
    ),
    script(
        "report east",
        "东街市场卖水果的用的秤没检定 请你们查一下",
        told="where",
        intent="report",
        category="short_weight",
        station=DONG,
        when="今天",
    ),
    script(
        "report remote",
        "西湖水产市场好几家用遥控秤 大家都知道 管管吧",
        told="where",
        intent="report",
        category="tampered_instrument",
        station=XI,
        when="这几个月",
    ),
    script(
        "report fuel",
        "鼓楼石化加油站加油机被改过 请查处",
        told="where",
        intent="report",
        category="fuel_dispenser",
        station=XI,
        when="上周",
    ),
    # Personal loss with no stated wish: the intent is the shopper's to choose.
    script("no wish", "南门菜场买了2斤肉 回家只有1斤6两", told="where amounts", station=NAN, when="今天"),
    script(
        "no wish rhetorical",
        "东街市场3斤鱼称出来2斤半 这不是欺骗消费者吗？",
        told="where amounts",
        station=DONG,
        when="昨天",
    ),
    script(
        "no wish story",
        "我妈在西湖水产市场买的虾 回来一称少了快一斤 付了200多",
        told="where amounts",
        station=XI,
        when="今天上午",
    ),
    # English and mixed.
    script(
        "english",
        "The scale at 东街菜市场 is rigged. Bought 2kg beef, only 1.6kg at home. Want refund.",
        told="where amounts",
        station=DONG,
        when="yesterday",
    ),
    script(
        "english fish",
        "fish stall at 西湖水产市场 short weight 300g, paid 120, today noon",
        told="where when amounts",
        station=XI,
    ),
    script("mixed", "南门菜场 veg stall 秤不准 少了200g 要退钱", told="where amounts", station=NAN, when="today"),
    script(  # the market in pinyin, as a visitor writes it
        "english pinyin",
        "bought pork at Nanmen market this morning, paid 40 yuan for 1kg but only got 850g, want my money back",
        told="where when amounts",
        station=NAN,
    ),
    script(  # the place corrected before 好了: the corrected one routes the case
        "corrected in a hurry",
        "东街市场卖鱼的 今天上午 少了3两 要退钱",
        "地点错了 是南门菜场卖鱼的",
        told="where when amounts",
        station=NAN,
    ),
    # Traditional characters.
    script(
        "traditional",
        "在南門菜場買豬肉 付了60塊 兩斤只有一斤七兩 要求退錢",
        told="where amounts",
        station=NAN,
        when="今天",
    ),
    # Long story.
    script(
        "long",
        "昨天下午三点多我在东街菜市场进门左手第三家买了两条草鱼，老板称了说四斤二两收我八十四块，"
        "我回家用自家的秤称了一下只有三斤六两，差了六两，我觉得他的秤有问题，要求他把多收的钱退给我",
        told="where when amounts",
        station=DONG,
    ),
    # A letter signed with its writer's contact, a choice said in English, a remedy in other words.
    script(
        "signed letter",
        "尊敬的领导：本人前天在南门农贸市场买牛肉3斤，付款135元，回家复秤只有2斤5两，请责令商家退还差价。"
        "联系人：李娜 电话：13711112222",
        told="where when amounts",
        station=NAN,
    ),
    script(
        "english report",
        "I want to report the fish stall at 南门菜场, their scale is rigged, it shows 1 jin with nothing on it",
        told="where",
        intent="report",
        category="tampered_instrument",
        station=NAN,
    ),
    script(
        "glasses redo",
        "在明亮眼镜店配的眼镜度数不对 戴着头晕 要求重配",
        told="where",
        category="eyeglasses",
        station=NAN,
        when="上个月",
    ),
    # Chit-chat and spam: never a case.
    # Said once and left: thanked or answered at once, with no 好了 to send.
    script("praise", "表扬一下南门菜场的公平秤 很方便", intent="feedback", category=None, station=NAN),
    script("commitment question", "这家店签没签诚信计量承诺书", intent="inquiry", category="other"),
    script("chit hello", "在吗", intent=None, category=None, makes_case=False),
    script("chit question marks", "？？？", intent=None, category=None, makes_case=False),
    script("chit hi", "你好", "有人吗", intent=None, category=None, makes_case=False),
    script("chit emoji", "👍", intent=None, category=None, makes_case=False),
    script("chit thanks", "谢谢", intent=None, category=None, makes_case=False),
    script("chit english", "hello?", intent=None, category=None, makes_case=False),
    script("chit ad", "加微信领红包 www.example.com", intent=None, category=None, makes_case=False),
    script("chit person", "转人工客服", intent=None, category=None, makes_case=False),
    script("chit scope", "你们管不管缺斤少两的", intent=None, category=None, makes_case=False),
    script(
        "contact mid story",
        "我在南门菜场3号摊买的肉少了二两，我叫王芳，电话13800138000，要求退钱",
        told="where amounts name phone",
        station=NAN,
        when="今天上午",
    ),
    # More everyday complaints, for the mean.
    script("rice", "惠民超市鼓楼店称大米 10斤只有9斤2两", told="where amounts", station=DONG, when="今天上午"),
    script(
        "chicken",
        "南门菜场活鸡 称了5斤半 回家宰好称 不算毛也差太多",
        told="where amounts",
        station=NAN,
        when="今天",
        amounts="付了110 5斤半",
    ),
    script("crab", "西湖水产市场 螃蟹绑绳子一起称 4两绳子", told="where amounts", station=XI, when="昨天"),
    script(
        "pork again", "又是南门菜场那家肉摊 上次也少秤 这次2斤少3两", told="where amounts", station=NAN, when="今天早上"
    ),
    script("beef stew", "东街市场熟食 称的1斤 回家称8两 28块", told="where amounts", station=DONG, when="中午"),
    script("fruit", "南门菜场水果摊 西瓜标12斤 家里称10斤半", told="where amounts", station=NAN, when="昨天傍晚"),
    script(
        "oil", "东街菜市场粮油店 5斤装的花生油 感觉不够", told="where", station=DONG, when="上周末", amounts="85元 5斤"
    ),
)
