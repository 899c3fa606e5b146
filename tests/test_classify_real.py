"""The classifier on messages as real shoppers, reporters and clerks write them.

``tests/data/real_style_private.jsonl`` holds 123 such messages written for evaluation only, before the training
changes they measure, and kept out of the training data (a test below checks it). ``../shared/data/real-dev.jsonl``
holds real messages with their sources; it too is for evaluation only.
"""

import json
from pathlib import Path

import pytest

from complaints.classify import Classifier
from complaints.classify import train as training
from complaints.classify.cues import cue_features, presumed_complaint, told_by
from complaints.classify.evaluate import evaluate, format_report
from complaints.classify.tokenize import normalize

PRIVATE = Path(__file__).with_name("data") / "real_style_private.jsonl"
REAL_DEV = Path("/work/shared/data/real-dev.jsonl")
needs_real_dev = pytest.mark.skipif(not REAL_DEV.exists(), reason="shared real-dev file not present")


@pytest.fixture(scope="module")
def clf() -> Classifier:
    return Classifier.load()


def _texts(path: Path) -> list[str]:
    return [json.loads(line)["text"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _bigrams(text: str) -> set[str]:
    norm = normalize(text)
    return {norm[i : i + 2] for i in range(len(norm) - 1)}


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        # a loss of one's own told with no wish at all: the remedy is presumed
        ("前天在菜市场买了两斤河虾，付了七十块，回家一称只有一斤五两", "complaint"),
        ("在眼镜店配的眼镜戴了一周还是头晕，去医院查了度数配高了一百度", "complaint"),
        ("加了三百块钱的油，油表才走了一格，这不是欺骗消费者吗？", "complaint"),
        ("在市場買了三斤豬肉，回家一秤只有兩斤半，老闆還不承認", "complaint"),
        # taxonomy.md's own examples: the subject dropped, still the writer's loss
        ("付了490元，复秤后被宰了80元", "complaint"),
        ("3斤肉端上桌只有1斤多", "complaint"),
        # one's own loss put as a question, or in three words: still the loss told (both read as inquiry once)
        ("称了三斤苹果，回家一称两斤半都不到，是不是被坑了？", "complaint"),
        ("买菜被坑了", "complaint"),
        # only enforcement asked
        ("钱我就不要了，只希望你们去查一查那个卖鱼的摊位，他的秤有问题", "report"),
        # a suggestion, an opinion on a practice
        ("建议每个菜市场门口都放一台公平秤，方便大家复秤", "feedback"),
        ("月饼的包装一年比一年豪华，真是浪费", "feedback"),
        # an honest question
        ("请问家里的电表怎么申请检定？", "inquiry"),
    ],
)
def test_intent_follows_the_taxonomy_on_real_style_words(clf: Classifier, text: str, intent: str) -> None:
    assert clf.classify(text).intent == intent


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("市民刘女士来电投诉，她在超市买的五斤装大米只有四斤六两", "complaint"),
        ("据消费者投诉称，该加油站的加油机少加油", "complaint"),
        ("接群众举报称，某农贸市场多家摊位使用未经检定的电子秤", "report"),
        ("据群众举报，城东一家水果店的电子秤装有遥控器", "report"),
        ("有市民举报，一家眼镜店的验光仪没有检定证书", "report"),
        # a regulator's typical-case notice names the consumer by surname + 某 and tells the 投诉 later on
        ("典型案例：赵某在一家商场买了两盒茶叶，回家发现分量不足，随后向12315投诉", "complaint"),
        ("2025年6月，消费者钱某某投诉称其在网上购买的大米净含量不足", "complaint"),
    ],
)
def test_third_party_wording_keeps_the_consumers_intent(clf: Classifier, text: str, intent: str) -> None:
    got = clf.classify(text)
    assert told_by(normalize(text)) == intent
    assert (got.intent, got.intent_confidence) == (intent, 1.0)


def test_a_first_person_complaint_is_not_taken_for_a_third_partys_words() -> None:
    assert told_by(normalize("我在菜场买的肉少了三两，老板不认账")) is None
    assert told_by(normalize("我要举报一个卖鱼的摊位")) is None
    # 某 before a place is no person, and a 某 person's tip-off is a report's words, not a complaint's
    assert told_by(normalize("在某超市买的米少了二两，我要投诉")) is None
    assert told_by(normalize("孙某举报某摊位的秤装了遥控器")) is None


@pytest.mark.parametrize("text", ["在吗？", "你好！", "您好，有人在吗", "Hi!", "hello 你好"])
def test_greetings_alone_are_other_inquiry_with_full_confidence(clf: Classifier, text: str) -> None:
    got = clf.classify(text)
    assert (got.intent, got.category, got.confidence) == ("inquiry", "other", 1.0)


def test_a_greeting_before_the_story_does_not_hide_it(clf: Classifier) -> None:
    got = clf.classify("你好，我在菜市场买的三斤肉回家只有两斤半")
    assert (got.intent, got.category) == ("complaint", "short_weight")


@pytest.mark.parametrize("text", ["👍👍👍", "😡"])
def test_emoji_alone_are_other_feedback(clf: Classifier, text: str) -> None:
    got = clf.classify(text)
    assert (got.intent, got.category) == ("feedback", "other")


def test_traditional_phrases_are_converted_before_segmenting() -> None:
    # OpenCC converts by phrase: 乾淨 becomes 干净 while 乾隆 keeps its 乾; 麵 and 錶 are outside a short table
    assert normalize("乾淨的麵包，乾隆年間的鐘錶") == normalize("干净的面包，乾隆年间的钟表")


@pytest.mark.parametrize(
    ("text", "cue"),
    [
        ("花了五十块，这不是欺骗消费者吗？", "c:rhetoric"),
        ("老板不认，要求把多收的钱退给我", "c:remedy"),
        ("请市场监管部门依法查处", "c:enforce"),
        ("我买了两斤虾，回家一称只有一斤六两", "c:my_loss"),
        ("付了六十块，回家一称只有一斤六两", "c:my_loss"),
        ("建议多设几台公平秤", "c:suggest"),
        ("找了燃气公司好几次，一直没有答复", "c:sought"),
        ("请问公平秤在哪里？", "c:doubt"),
        ("同样的钱，买到的肉越来越少", "c:short"),
        ("网上买的纸巾，收到货一数少了两包", "c:my_loss"),
    ],
)
def test_cues_find_the_phrases_intent_is_decided_by(text: str, cue: str) -> None:
    assert cue in cue_features(normalize(text))


def test_private_set_is_kept_out_of_training_data() -> None:
    train = [json.loads(line)["text"] for line in training.TRAIN_PATH.read_text(encoding="utf-8").splitlines()]
    private = [t for t in _texts(PRIVATE) if len(normalize(t)) > 8]  # greetings like 在吗 are everyone's words
    train_grams = [g for g in map(_bigrams, train) if g]
    for text in private:
        grams = _bigrams(text)
        for other in train_grams:
            assert len(grams & other) / len(grams | other) <= 0.6, text


@needs_real_dev
def test_real_dev_texts_are_kept_out_of_training_data() -> None:
    train = [json.loads(line)["text"] for line in training.TRAIN_PATH.read_text(encoding="utf-8").splitlines()]
    train_grams = [g for g in map(_bigrams, train) if g]
    for text in _texts(REAL_DEV):
        grams = _bigrams(text)
        for other in train_grams:
            assert len(grams & other) / len(grams | other) <= 0.3, text


def test_private_real_style_set_scores(clf: Classifier) -> None:
    # Floors just under this model's figures (0.984 / 0.976): a regression guard on messages it was not trained on.
    report = evaluate(PRIVATE, clf)
    assert report.category_accuracy >= 0.95, format_report(report)
    assert report.intent_accuracy >= 0.94, format_report(report)


@needs_real_dev
def test_real_dev_scores_do_not_fall_back(clf: Classifier) -> None:
    # Floors under this model's figures (0.882 / 0.838), not the product targets (0.90 / 0.85), which it misses.
    # Either figure moves by one or two of the 68 messages whenever the training material changes.
    report = evaluate(REAL_DEV, clf)
    assert report.category_accuracy >= 0.86, format_report(report)
    assert report.intent_accuracy >= 0.79, format_report(report)


def test_evaluation_reports_accuracy_among_the_untriaged(clf: Classifier) -> None:
    report = evaluate(PRIVATE, clf)
    text = format_report(report)
    assert f"not sent to triage  {report.kept} of {report.size}" in text
    assert 0 < report.kept < report.size
    assert report.kept_category_accuracy >= report.category_accuracy - 0.01


def test_someone_elses_loss_is_not_taken_for_the_writers() -> None:
    assert "c:my_loss" not in cue_features(normalize("邻居付了六十块，回家一称只有一斤六两"))


def test_where_is_a_doubt_only_as_a_question() -> None:
    # 哪里 in "哪里不对劲" is no question; "在哪里", "哪里能…？" are
    assert "c:doubt" not in cue_features(normalize("买回来总觉得哪里不对劲，原来是秤有问题"))
    assert "c:doubt" in cue_features(normalize("哪里能免费复秤？"))


@pytest.mark.parametrize(
    "text",
    [
        # a remedy sought from the merchant or provider and refused
        "找了物业三回，到现在一直没有答复",
        "在网上买的床单少发了一件，客服推来推去",
        # one's own loss met with a rhetorical question
        "在超市买的排骨回家一称少了二两，这不是坑人吗？",
        "花了两百块加的油，才跑了一百公里，凭什么？",
    ],
)
def test_a_loss_with_a_remedy_refused_or_indignation_is_a_complaint_by_rule(clf: Classifier, text: str) -> None:
    assert presumed_complaint(normalize(text))
    got = clf.classify(text)
    assert (got.intent, got.intent_confidence) == ("complaint", 1.0)


@pytest.mark.parametrize(
    "text",
    [
        "找了老板他不认账，请你们依法查处这个摊位",  # enforcement asked: a report, if anything
        "找老板他不认，这种情况能投诉吗？",  # an honest question
        "邻居买的橘子少了半斤，找老板他不认账",  # someone else's loss
        "买的月饼盒子比月饼还贵，这不是浪费吗？",  # no shortfall of one's own: an opinion
    ],
)
def test_the_presumed_complaint_leaves_other_asks_to_the_model(text: str) -> None:
    assert not presumed_complaint(normalize(text))


@pytest.mark.parametrize("text", ["老板称重的时候用手压秤", "卖菜的称的时候手指头压着秤"])
def test_a_hand_on_the_scale_is_short_weight_not_a_hidden_reading(clf: Classifier, text: str) -> None:
    # 「称重的时候」 came with the hidden readings of measurement_display: this read so at 0.99
    assert clf.classify(text).category == "short_weight"
