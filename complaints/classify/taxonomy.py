"""Stable intent and category codes from /work/shared/taxonomy.md, with their Chinese labels."""

from typing import Final

INTENT_NAMES: Final[dict[str, str]] = {
    "complaint": "投诉",
    "report": "举报",
    "inquiry": "咨询",
    "feedback": "建议/表扬",
}

CATEGORY_NAMES: Final[dict[str, str]] = {
    "short_weight": "缺斤短两",
    "tampered_instrument": "计量作弊",
    "fuel_dispenser": "加油机/加气机/充电桩",
    "unverified_instrument": "未检定/超期",
    "measurement_display": "计量不明示",
    "prepackaged_net_content": "定量包装净含量",
    "over_packaging": "过度包装",
    "price_marking": "明码标价",
    "utility_meter": "水电气热表",
    "taxi_meter": "出租车计价器",
    "eyeglasses": "眼镜配制",
    "medical_instrument": "医疗计量器具",
    "other": "其他",
}

INTENTS: Final[tuple[str, ...]] = tuple(INTENT_NAMES)
CATEGORIES: Final[tuple[str, ...]] = tuple(CATEGORY_NAMES)
