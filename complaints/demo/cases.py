"""The demo's cases: who wrote what, through which channel, about which instrument, and what happened next.

The texts are real shoppers' wording (the classifier reads each as the intent and category meant), the stories
are the workflow's actions with the days they came after receipt (intake itself acknowledges feedback and answers the
inquiries whose answer it knows). :mod:`complaints.demo.seed` files and works them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from complaints.submission import Contact
from lookup.vocab import Sector

DEMO_HANDLER = "demo-handler"


@dataclass(frozen=True)
class DemoCase:
    days_ago: int
    channel: str
    text: str
    scan: tuple[Sector, int] | None = None  # the n-th instrument in use of a sector, as if its sticker was scanned
    name: str = ""
    phone: str = ""
    story: tuple[tuple[int, str, Mapping[str, Any]], ...] = ()  # (days after receipt, action, facts)
    rating: int | None = None
    consent: bool = True
    odr: bool = False  # the merchant takes part in ODR and the shopper agreed it settle first

    def contact(self, number: int) -> Contact:
        chat = f"demo-{number:04d}" if self.channel in ("wechat", "telegram") else ""
        return Contact(name=self.name, phone=self.phone, channel_user=chat, consent=self.consent and bool(self.phone))


MARKET, FUEL, OPTICIAN, SUPERMARKET = Sector.market, Sector.fuel_station, Sector.optician, Sector.supermarket
HOTSPOT_STALL = (MARKET, 6)  # three complaints about this scale raise the hotspot that is then inspected
Step = tuple[int, str, Mapping[str, Any]]
ACCEPT: Step = (1, "accept", {})
MEDIATE: Step = (2, "start_mediation", {})
CLOSE = "close"


def _closed(day: int) -> Step:
    return (day, CLOSE, {})


def _decline(ground: str, note: str) -> tuple[Step, ...]:
    return ((2, "decline", {"ground": ground, "note": note}),)


CASES: tuple[DemoCase, ...] = (
    DemoCase(
        days_ago=20,
        channel="wechat",
        text="说好的30个土鸡蛋一块五一个，回家数了只有27个，给老板打电话他说我数错了，要求补给我三个或者退钱",
        scan=HOTSPOT_STALL,
        name="王芳",
        phone="13800138001",
        story=(
            ACCEPT,
            MEDIATE,
            (3, "pause_for_testing", {"note": "电子秤送区计量检定所检定"}),
            (6, "resume", {}),
            (7, "resolve", {"outcome": "refund", "refund_yuan": 14, "message": "商家退还差价 14 元并当面道歉"}),
            _closed(8),
        ),
        rating=5,
    ),
    DemoCase(
        days_ago=17,
        channel="web",
        text="大闸蟹绑的草绳泡足了水，十只蟹光绳子就称出半斤多，按蟹价88一斤收钱，这也太黑了吧，要求退绳子那部分的钱",
        scan=HOTSPOT_STALL,
        name="李强",
        phone="13800138002",
        story=(
            ACCEPT,
            MEDIATE,
            (4, "resolve", {"outcome": "refund", "refund_yuan": 44, "message": "商家按绳重退还 44 元"}),
            _closed(5),
        ),
        rating=4,
    ),
    DemoCase(
        days_ago=15,
        channel="telegram",
        text=(
            "在茶叶市场买了三斤茶，后来听隔壁店说那老板的秤是调过的"
            "，一斤少一两多，我回来一称果然。要求商家退还差价并赔偿"
        ),
        scan=HOTSPOT_STALL,
        name="赵敏",
        phone="13800138003",
        story=(
            ACCEPT,
            MEDIATE,
        ),
    ),
    DemoCase(
        days_ago=19,
        channel="web",
        text="拿油桶在加油站买了20升柴油，回来用量杯一量只有17升多一点，要求站里补足",
        scan=(FUEL, 2),
        name="陈刚",
        phone="13800138004",
        story=(
            ACCEPT,
            MEDIATE,
            (5, "resolve", {"outcome": "make_up", "refund_yuan": 21.5, "message": "加油站补足柴油 2.6 升"}),
            _closed(6),
        ),
        rating=4,
    ),
    DemoCase(
        days_ago=16,
        channel="telegram",
        text="配的眼睛度数不对，戴上眼睛又酸又疼，去店里说理店员说适应一下就好了，要求退款",
        scan=(OPTICIAN, 1),
        name="周婷",
        phone="13800138005",
        story=(
            ACCEPT,
            MEDIATE,
            (6, "end_mediation", {"note": "店方坚持验光无误，拒绝退款；已告知消费者可申请仲裁"}),
        ),
    ),
    DemoCase(
        days_ago=14,
        channel="api",
        text="从家到公司每天打车都是25块左右，今天走的同一条路，导航开着没绕，这辆车打到了41块，要求调查退费",
        scan=None,
        name="吴磊",
        phone="13800138006",
        story=((1, "transfer", {"note": "出租车计价器归市交通运输局出租车管理处，已移送"}),),
    ),
    DemoCase(
        days_ago=13,
        channel="web",
        text="超市货架上的价签写着9.9元，结账扫出来是12.8元，收银员说价签没来得及换，要求按标价退差价",
        scan=(SUPERMARKET, 3),
        name="郑洁",
        phone="13800138007",
        story=(
            ACCEPT,
            MEDIATE,
            (3, "resolve", {"outcome": "refund", "refund_yuan": 2.9, "message": "超市退还差价 2.9 元"}),
        ),
    ),
    DemoCase(
        days_ago=12,
        channel="wechat",
        text="健身房突然关门了，老板跑路，卡里还有3000多块没用完，要求退款",
        scan=None,
        name="孙悦",
        phone="13800138008",
        story=(
            *_decline("no_jurisdiction", "预付卡纠纷，已告知消费者向商务部门反映"),
            _closed(3),
        ),
        rating=3,
    ),
    DemoCase(
        days_ago=11,
        channel="web",
        text="双十一买的坚果礼包，标称净含量1.5kg，拆开把每小袋都称了一遍，加起来只有1.31kg，客服说正常误差，要求退款",
        scan=None,
        name="马超",
        phone="13800138009",
        story=(*_decline("handled_elsewhere", "电商平台所在地市场监管部门已受理"),),
    ),
    DemoCase(
        days_ago=10,
        channel="web",
        text="在建材市场按重量买的钢筋，后来发现那家的地磅检定过期一年多了，我要求到检定合格的磅上重新过磅，差多少退多少",
        scan=None,
        name="胡军",
        phone="13800138010",
        story=(*_decline("not_consumption", "购买钢筋用于工程经营，不属于生活消费"),),
    ),
    DemoCase(
        days_ago=9,
        channel="api",
        text="过年买的海参礼盒，包装里面空了一大半，500块钱买了个盒子，要求商家退一部分钱",
        scan=None,
        name="林静",
        phone="13800138011",
        story=(*_decline("over_three_years", "购买时间为三年多以前，超过投诉时限"),),
    ),
    DemoCase(
        days_ago=9,
        channel="web",
        text="药店买的水银体温计，刻度印歪了，37度那条线跟别的温度计对不上，要求换一支",
        story=(*_decline("missing_facts", "未留姓名和电话，无法联系核实"),),
    ),
    DemoCase(
        days_ago=8,
        channel="wechat",
        text="家里的燃汽表走的太快了，一个月120方，以前冬天最多40方，要求燃气公司给个说法",
        scan=None,
        name="何平",
        phone="13800138012",
        story=(*_decline("other", "已告知向燃气公司申请表具检定，结果有异议再来投诉"),),
    ),
    DemoCase(
        days_ago=7,
        channel="web",
        text="烧烤店的生蚝写的按斤卖，上桌之前根本没给我看称重，结账按3斤收了180，我要求当面复称被拒，要求退差价",
        scan=(MARKET, 20),
        name="高远",
        phone="13800138013",
        story=(
            ACCEPT,
            MEDIATE,
            (3, "pause_for_testing", {"note": "调取商户电子秤送检"}),
        ),
    ),
    DemoCase(
        days_ago=6,
        channel="telegram",
        text=(
            "在这家粮油店买了两年米，今天才发现他家的秤从来没检定过。我"
            "要求店家给个说法，把这两年的账给我复核清楚，不然就退一部分钱"
        ),
        scan=(MARKET, 31),
        name="罗兰",
        phone="13800138014",
        story=(ACCEPT,),
    ),
    DemoCase(
        days_ago=5,
        channel="web",
        text="花298买了个月饼礼盒，打开一看月饼也就几十块钱的货，钱全花在包装上了，要求退款",
        scan=(SUPERMARKET, 7),
        name="梁晨",
        phone="13800138015",
        story=((1, "assign", {"assignee": DEMO_HANDLER}),),
    ),
    DemoCase(
        days_ago=11,
        channel="api",
        text="新眼镜两个镜片的光学中心没对准瞳孔，偏了好几毫米，眼镜店说在误差范围内，我要求第三方检测",
        scan=(OPTICIAN, 2),
        name="谢楠",
        phone="13800138016",
    ),
    DemoCase(
        days_ago=1,
        channel="wechat",
        text="燃气公司抄表员根本不上门，都是估抄，账单上的数比我家表上实际的数多了80方，要求按实际读数重新算",
        scan=None,
        name="宋雨",
        phone="13800138017",
    ),
    DemoCase(
        days_ago=0,
        channel="web",
        text="从家到公司每天打车都是25块左右，今天这辆车打到了41块，也没绕路，要求调查退费",
        scan=None,
        name="唐杰",
        phone="13800138018",
    ),
    # Reports (举报): verification, opened cases, extensions, no case.
    DemoCase(
        days_ago=18,
        channel="web",
        text="举报：南门农贸市场的电子秤带遥控器，我亲眼看见老板手伸进围裙口袋按了一下，秤上的数字就往上跳了",
        scan=HOTSPOT_STALL,
        name="许诺",
        phone="13800138019",
        story=(
            (1, "start_verification", {}),
            (6, "open_case", {}),
            _closed(12),
        ),
    ),
    DemoCase(
        days_ago=16,
        channel="api",
        text="夜市小吃摊都不标价，一份炒粉有人收15有人收25",
        scan=None,
        name="韩梅",
        phone="13800138020",
        story=(
            (1, "start_verification", {}),
            (9, "extend_verification", {"note": "夜市摊主流动，需延长核查"}),
            (14, "no_case", {"note": "现场核查时各摊位均已明码标价"}),
        ),
    ),
    DemoCase(
        days_ago=12,
        channel="web",
        text="菜场卖猪肉的秤只有朝里的那面显示屏亮，朝顾客那面黑屏，好几个月了也不修",
        scan=(MARKET, 44),
        name="冯涛",
        phone="13800138021",
        story=(
            (1, "start_verification", {}),
            (5, "open_case", {}),
        ),
    ),
    DemoCase(
        days_ago=4,
        channel="telegram",
        text="中秋节买的月饼礼盒，外面一个木盒子，里面还有铁盒、纸盒三层，拆到最后就4个小月饼",
        scan=(SUPERMARKET, 9),
        name="邓丽",
        phone="13800138022",
        story=((1, "start_verification", {}),),
    ),
    DemoCase(
        days_ago=3,
        channel="web",
        text="我们小区是物业转供电，物业自己装的分户电表走得明显比国家电网的快，全楼好多户都反映过",
        scan=None,
        name="曹阳",
        phone="13800138023",
    ),
    DemoCase(
        days_ago=6,
        channel="api",
        text="计价器上的等候时间一直在累加，可车明明一直在正常行驶，没有堵车",
        scan=None,
        name="彭博",
        phone="13800138024",
        story=((1, "transfer", {"note": "移送市交通运输局出租车管理处"}),),
    ),
    # Inquiries (咨询) and feedback (建议/表扬).
    DemoCase(
        days_ago=13,
        channel="wechat",
        text="请问药店里给顾客免费用的血压计需要检定吗？多久检一次？",
        scan=None,
        name="曾琳",
        phone="13800138025",
        story=(_closed(2),),
        rating=5,
    ),
    DemoCase(
        days_ago=2,
        channel="web",
        text="家里的电子秤想拿去检定一下，要去哪里送检？收费吗？",
        scan=None,
        name="萧然",
        phone="13800138026",
        story=((1, "answer", {"message": "家用秤不属于强制检定，可以送区计量检定所校准，按核定的标准收费。"}),),
    ),
    DemoCase(
        days_ago=10,
        channel="telegram",
        text="给东街卫生院点赞，血压计都换成新的了，还贴了检定合格证",
        scan=None,
        name="田甜",
        phone="13800138027",
        story=(_closed(2),),
        rating=5,
    ),
    DemoCase(
        days_ago=4,
        channel="web",
        text="建议菜市场统一换成电子价签，价格和计价单位一目了然，大家都省心",
        scan=None,
        name="董明",
        phone="13800138028",
    ),
    DemoCase(
        days_ago=0,
        channel="api",
        text="建议要求所有摊位的电子秤都用双面显示屏，顾客那一面要看得清楚",
        scan=None,
        name="潘越",
        phone="13800138029",
    ),
    DemoCase(
        days_ago=2,
        channel="web",
        text="称的猪肉回家一称少了一两多，老板态度还挺好，想让他退差价",
        scan=(MARKET, 12),
        name="周敏",
        phone="13800138030",
        odr=True,
    ),
)
