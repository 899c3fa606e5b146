"""Text normalisation and jieba tokenisation with the domain dictionary.

The tokenizer is a private ``jieba.Tokenizer`` so the classifier never depends on, or changes, the global jieba
state other code may use. Building jieba's prefix dictionary costs about a second, so it happens once per process
in ``load()``, which callers on an event loop run in a thread (``await asyncio.to_thread(load)``).
"""

import logging
import re
import threading
import unicodedata
from pathlib import Path
from typing import Any

import jieba  # type: ignore[import-untyped]

DOMAIN_WORDS = Path(__file__).with_name("data") / "domain_words.txt"

# Traditional → Simplified for the characters shoppers actually use in these messages. A hand-made table keeps
# the classifier free of downloads (OpenCC is not available offline); characters not listed pass through, and
# the character n-grams still carry most of the signal for them.
_T2S_PAIRS = (
    "稱称 電电 錶表 價价 買买 賣卖 斤斤 兩两 缺缺 短短 與与 這这 個个 們们 說说 還还 會会 來来 對对 沒没 "
    "過过 給给 樣样 蘋苹 飯饭 麵面 雞鸡 鴨鸭 魚鱼 蝦虾 蟹蟹 豬猪 牛牛 肉肉 菜菜 場场 攤摊 闆板 老老 "
    "機机 錢钱 塊块 幾几 實实 際际 顯显 示示 標标 註注 淨净 裝装 禮礼 盒盒 層层 紙纸 鐵铁 "
    "檢检 驗验 證证 書书 簽签 鉛铅 封封 壞坏 動动 調调 遙遥 控控 器器 計计 費费 車车 車车 "
    "計计 乘乘 司司 繞绕 錄录 單单 號号 碼码 掃扫 査查 測测 準准 確确 誤误 差差 "
    "眼眼 鏡镜 片片 醫医 藥药 體体 溫温 壓压 氣气 熱热 燈灯 充充 樁桩 槍枪 "
    "點点 為为 問问 題题 報报 舉举 訴诉 謝谢 讚赞 議议 請请 嗎吗 麼么 讓让 應应 該该 從从 "
    "時时 間间 後后 裡里 邊边 開开 關关 門门 東东 區区 縣县 處处 見见 聽听 覺觉 們们 "
    "無无 認认 為为 與与 歲岁 親亲 爺爷 媽妈 孫孙 隻只 條条 斷断 換换 離离 剛刚 讀读 數数 "
    "總总 額额 貴贵 騙骗 黑黑 虧亏 賠赔 償偿 退退 補补 錯错 嚴严 厲厉 罰罚 監监 管管 "
    "務务 員员 態态 度度 衛卫 生生 糧粮 鹽盐 瓶瓶 桶桶 罐罐 袋袋 滿满 ㄧ一 餅饼 葉叶 茶茶 "
    "濕湿 網网 盤盘 籃篮 於于 將将 學学 現现 發发 經经 結结 帳账 賬账 隨随 嗎吗 嘛嘛 啥啥 "
    "臺台 檯台 磅磅 彈弹 簧簧 桿杆 線线 針针 轉转 達达 響响 遠远 級级 範范 圍围 "
    "尋寻 導导 航航 跡迹 趕赶 灣湾 帶带 壺壶 購购 貨货 庫库 糖糖 銷销 擔担 憂忧 驚惊 "
    "頭头 麗丽 華华 專专 業业 質质 雙双 貼贴 紅红 綠绿 輛辆 蓋盖 戶户 燒烧 烤烤 膠胶 "
)
_T2S = str.maketrans({pair[0]: pair[1] for pair in _T2S_PAIRS.split()})

_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
# Mainland mobile numbers and landlines: personal data, and noise for the model.
_PHONE = re.compile(r"(?<!\d)(?:\+?86[- ]?)?(?:1[3-9]\d{9}|0\d{2,3}-?\d{7,8})(?!\d)")
_DIGITS = re.compile(r"\d+(?:\.\d+)?")
_SPACE = re.compile(r"\s+")

_lock = threading.Lock()
_tokenizer: Any = None


def normalize(text: str) -> str:
    """NFKC (full-width → half-width), lower case, Traditional → Simplified, URLs and phone numbers replaced.

    Numbers collapse to one placeholder digit: "加了200块" and "加了350块" tell the same story.
    """
    text = unicodedata.normalize("NFKC", text).lower().translate(_T2S)
    text = _URL.sub(" 链接 ", text)
    text = _PHONE.sub(" 电话 ", text)
    text = _DIGITS.sub("0", text)
    return _SPACE.sub(" ", text).strip()


def load() -> None:
    """Build the private jieba tokenizer once per process (about a second: run it off the event loop)."""
    _ensure()


def _ensure() -> Any:
    global _tokenizer
    with _lock:
        if _tokenizer is not None:
            return _tokenizer
        # jieba announces every dictionary build at DEBUG on its own logger; quiet it, keep its warnings.
        logging.getLogger("jieba").setLevel(logging.WARNING)
        tokenizer = jieba.Tokenizer()
        tokenizer.initialize()
        # jieba leaves a file it opened itself unclosed (a ResourceWarning); hand it one we close.
        with DOMAIN_WORDS.open("rb") as words_file:
            tokenizer.load_userdict(words_file)
        _tokenizer = tokenizer
        return tokenizer


def words(normalized: str) -> list[str]:
    """jieba words of already-normalised text; HMM off so new-word guessing never varies the features."""
    tokenizer = _tokenizer if _tokenizer is not None else _ensure()
    return [w for w in tokenizer.lcut(normalized, HMM=False) if w.strip()]


def features(text: str) -> list[str]:
    """The model's features: jieba words (prefixed ``w:``) and character 1–3-grams of the normalised text.

    Spaces become ``_`` so no n-gram contains ``:``, which keeps the two kinds apart without prefixing the many
    n-grams (string building is a visible share of the per-message cost).
    """
    return normalized_features(normalize(text))


def normalized_features(norm: str) -> list[str]:
    chars = norm.replace(" ", "_").replace(":", "_")
    n = len(chars)
    feats = ["w:" + w for w in words(norm)]
    feats += chars
    feats += [chars[i : i + 2] for i in range(n - 1)]
    feats += [chars[i : i + 3] for i in range(n - 2)]
    return feats
