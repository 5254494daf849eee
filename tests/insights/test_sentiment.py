"""How often the local sentiment scorer (VADER) agrees with the hand-labelled sample."""

from forum.insights.text import sentiment_class
from tests.insights.sentiment_sample import SAMPLE

#: Measured agreement (see README, "Insights"): the test fails if it drops below this.
AGREEMENT_AT_LEAST = 0.85  # measured 87/100


def test_agreement_with_the_labelled_sample(capsys):
    assert len(SAMPLE) == 100
    agree = sum(1 for sentence, label in SAMPLE if sentiment_class(sentence) == label)
    negative = [(s, lab) for s, lab in SAMPLE if lab == "negative"]
    found = sum(1 for s, _ in negative if sentiment_class(s) == "negative")
    with capsys.disabled():
        print(f"\nVADER agreement: {agree}/{len(SAMPLE)}; negative recall {found}/{len(negative)}")
    assert agree / len(SAMPLE) >= AGREEMENT_AT_LEAST


def test_scorer_reads_clear_cases():
    assert sentiment_class("This is awful, nothing works and I am angry.") == "negative"
    assert sentiment_class("Thank you, great help!") == "positive"
    assert sentiment_class("My contract ends in March.") == "neutral"
