"""The standard text of the honest-measurement commitment (诚信计量承诺书), by version.

A commitment stores the text its merchant signed, so a new version here changes only later signatures.
"""

from __future__ import annotations

CURRENT_VERSION = "2024"

TEXTS: dict[str, str] = {
    "2024": (
        "本经营者郑重承诺：\n"
        "一、使用的计量器具依法检定合格并在有效期内，不使用未经检定、超过检定周期或检定不合格的计量器具；\n"
        "二、不破坏计量器具准确度，不改装、不遥控计量器具，保持检定封印完好；\n"
        "三、诚信计量，足斤足两，不缺斤短两，不以估量代替计量；\n"
        "四、明示计量单位和计量过程，接受消费者复秤；\n"
        "五、定量包装商品净含量符合国家规定；\n"
        "六、积极处理计量纠纷，自觉接受市场监管部门和社会监督。"
    ),
}
