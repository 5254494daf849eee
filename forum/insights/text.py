"""Reading member text for insights: terms and phrases, and a sentiment score.

Sentiment is VADER (vaderSentiment, a lexicon and rules scorer that runs locally and
needs no outside service); its agreement with a hand-labelled sample of operator-forum
sentences is measured in tests/insights/test_sentiment.py."""

from __future__ import annotations

import re
from functools import lru_cache

from forum.insights.definitions import sentiment_label

MAX_CHARS = 2000
#: How much of an opening post, after its title, terms are read from.
TERM_CHARS = 300
MAX_TERMS = 20

#: Words too common to say what a post is about (English function words and forum filler).
STOPWORDS = frozenset("""
a about above after again against all also am an and any are aren't as at be because been before being below
between both but by can can't cannot could couldn't did didn't do does doesn't doing don't down during each few
for from further get got had hadn't has hasn't have haven't having he her here hers herself him himself his how
i i'd i'll i'm i've if in into is isn't it it's its itself just let's like me more most my myself no nor not now
of off on once only or other our ours ourselves out over own same she should shouldn't so some still such than
that that's the their theirs them themselves then there there's these they they're this those through to too
under until up us very was wasn't we we're were weren't what when where which while who whom why will with
won't would wouldn't you you're your yours yourself yourselves one two any anyone anything really since even
hi hello thanks thank please help anybody know need want tried trying try today yesterday week day days
ago back going go use using used see seems seem since get getting every
""".split())

_WORD = re.compile(r"[a-z0-9][a-z0-9'+]*")


def _words(text: str) -> list[str]:
    return [w.strip("'") for w in _WORD.findall(text[:MAX_CHARS].lower())]


def _keep(word: str) -> bool:
    if word in STOPWORDS or not word:
        return False
    return len(word) >= 3 or (len(word) == 2 and any(c.isdigit() for c in word))  # 4g, 5g


def terms(text: str) -> list[str]:
    """The distinct terms of a text: its kept words and the phrases of two kept words
    side by side ("wifi calling"), first ones first, at most :data:`MAX_TERMS`."""
    words = _words(text)
    out: dict[str, None] = {}
    for i, word in enumerate(words):
        if not _keep(word):
            continue
        out.setdefault(word[:60])
        if i + 1 < len(words) and _keep(words[i + 1]):
            out.setdefault(f"{word} {words[i + 1]}"[:60])
        if len(out) >= MAX_TERMS:
            break
    return list(out)[:MAX_TERMS]


@lru_cache(maxsize=1)
def _analyzer():
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


def sentiment(text: str) -> float:
    """VADER's compound score of ``text`` (its first :data:`MAX_CHARS` characters), -1 to 1."""
    if not text.strip():
        return 0.0
    return float(_analyzer().polarity_scores(text[:MAX_CHARS])["compound"])


def sentiment_class(text: str) -> str:
    return sentiment_label(sentiment(text))
