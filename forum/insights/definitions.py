"""Every figure on the insights dashboard, with its formula in words beside it.

The query code (queries.py) only selects rows; the arithmetic lives here, so that the
tests can compute each figure by hand and compare. Durations are in seconds; "in the
period" means ``start <= t < end`` with both ends at local midnight in
``FORUM_TIMEZONE`` (the end date is included: its next midnight is the bound).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, timedelta

HOUR = 3600
DAY = 24 * HOUR

# --- the general rules ---------------------------------------------------------------

#: median: the middle value of the sorted durations (the mean of the two middle ones when
#: their number is even); none when there are none.
def median(values: Sequence[float]) -> float | None:
    return float(statistics.median(values)) if values else None


#: p90: the nearest-rank 90th percentile, the value at rank ceil(0.9 × n) of the sorted values.
def p90(values: Sequence[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return float(ordered[max(1, math.ceil(0.9 * len(ordered))) - 1])


#: share: part / whole, shown with its n (the whole); none when the whole is 0.
def share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


#: change against the previous period: this period's value minus the previous one's
#: (for shares, in percentage points); none when either is missing.
def change(current: float | None, previous: float | None) -> float | None:
    if current is None or previous is None:
        return None
    return current - previous


def seconds(later: datetime | None, earlier: datetime | None) -> float | None:
    if later is None or earlier is None:
        return None
    return (later - earlier).total_seconds()


# --- speed of response ---------------------------------------------------------------

#: First response: from the moment a help topic was asked to the first public reply by
#: anyone but the asker. First Customer Care response: to the first reply by someone in
#: a staff role. Counted over the help topics asked in the period; the median and p90
#: are over the topics that got one; "within 1 h" and "within 24 h" are the topics
#: answered that fast divided by all the topics asked (unanswered ones count as not).
def response_summary(asked: Iterable[float | None]) -> dict:
    """``asked``: each topic's wait in seconds, ``None`` when it got no response."""
    rows = list(asked)
    waits = [s for s in rows if s is not None]
    return {
        "asked": len(rows),
        "answered": len(waits),
        "median": median(waits),
        "p90": p90(waits),
        "within_1h": share(sum(1 for w in waits if w <= HOUR), len(rows)),
        "within_24h": share(sum(1 for w in waits if w <= DAY), len(rows)),
    }


#: Backlog buckets: a waiting or reopened topic's age is now − waiting_since.
BACKLOG_BUCKETS = (("under 1 h", 0, HOUR), ("1–4 h", HOUR, 4 * HOUR), ("4–24 h", 4 * HOUR, DAY),
                   ("over 24 h", DAY, None))


def backlog_bucket(age_seconds: float) -> str:
    for label, low, high in BACKLOG_BUCKETS:
        if age_seconds >= low and (high is None or age_seconds < high):
            return label
    return BACKLOG_BUCKETS[0][0]  # a clock a little ahead: counts as new


#: Past target: waiting longer than the board's response target in hours (or
#: FORUM_RESPONSE_TARGET_HOURS when the board has none).
def past_target(age_seconds: float, target_hours: float) -> bool:
    return age_seconds > target_hours * HOUR


# --- resolution ----------------------------------------------------------------------

#: Solved: the topic got an accepted solution or an official answer (the first of them
#: is its solution time). Solved rate of a week (Monday to Sunday, local): the topics
#: asked that week solved within 7 days of being asked / the topics asked that week;
#: shown only once the week ended 7 days ago, so every topic had its full 7 days.
SOLVE_WINDOW = timedelta(days=7)


def solved_within(solve_seconds: float | None) -> bool:
    return solve_seconds is not None and solve_seconds <= SOLVE_WINDOW.total_seconds()


def week_is_final(week_start: date, today: date) -> bool:
    return today >= week_start + timedelta(days=14)


#: Time to solution: solved_at − asked_at, median and p90 over the topics asked in the
#: period that are solved. Reopen rate: topics asked in the period reopened at least once
#: (the asker said No or wrote after a resolution) / topics asked. Solved by Customer
#: Care: solved topics whose solution is an official answer or a staff reply / solved
#: topics; by the community: the rest. Escalations: topics asked in the period that
#: Customer Care continued in a private case.
def resolution_summary(rows: Sequence) -> dict:
    solved = [r for r in rows if r.solve_s is not None]
    times = [r.solve_s for r in solved]
    by_staff = sum(1 for r in solved if r.solved_by == "staff")
    return {
        "asked": len(rows),
        "solved": len(solved),
        "solved_7d": share(sum(1 for r in rows if solved_within(r.solve_s)), len(rows)),
        "median": median(times),
        "p90": p90(times),
        "reopened": sum(1 for r in rows if r.reopen_count),
        "reopen_rate": share(sum(1 for r in rows if r.reopen_count), len(rows)),
        "by_staff": by_staff,
        "by_community": len(solved) - by_staff,
        "staff_share": share(by_staff, len(solved)),
        "escalated": sum(1 for r in rows if r.escalated),
    }


# --- satisfaction --------------------------------------------------------------------

#: Over the answers given in the period (by satisfaction_at): Yes share = Yes / (Yes + No);
#: the 1–5 score (asked after a Yes) as its mean and its distribution, with n = scores given.
def satisfaction_summary(rows: Sequence[tuple[str, int | None]]) -> dict:
    yes = sum(1 for a, _ in rows if a == "yes")
    no = sum(1 for a, _ in rows if a == "no")
    scores = [s for a, s in rows if a == "yes" and s is not None]
    return {
        "answers": yes + no,
        "yes": yes,
        "no": no,
        "yes_share": share(yes, yes + no),
        "scores": len(scores),
        "mean_score": (sum(scores) / len(scores)) if scores else None,
        "distribution": {n: sum(1 for s in scores if s == n) for n in range(1, 6)},
    }


# --- moderation ----------------------------------------------------------------------

#: Flags handled: flags resolved in the period; time to handle: resolved_at − created_at,
#: median. Reason share: moderation log entries of the period whose reason is not blank /
#: all entries of the period.
def moderation_summary(flag_times: Sequence[tuple[datetime, datetime]], log_entries: int, with_reason: int) -> dict:
    waits = [seconds(r, c) for c, r in flag_times]
    return {
        "handled": len(flag_times),
        "median": median(waits),
        "log_entries": log_entries,
        "with_reason": with_reason,
        "reason_share": share(with_reason, log_entries),
    }


# --- incidents -----------------------------------------------------------------------

#: Per incident opened in the period: affected reports (all of them); time to first staff
#: update = the first update at or after the first affected report − that report (0 when
#: the incident was opened before anyone reported; none without reports or without a
#: later update); update cadence = the median gap between consecutive updates.
def incident_figures(report_times: Sequence[datetime], update_times: Sequence[datetime]) -> dict:
    reports = sorted(report_times)
    updates = sorted(update_times)
    first_update = None
    if reports:
        if updates and updates[0] <= reports[0]:
            first_update = 0.0
        else:
            later = [u for u in updates if u >= reports[0]]
            first_update = seconds(later[0], reports[0]) if later else None
    gaps = [seconds(b, a) for a, b in zip(updates, updates[1:], strict=False)]
    return {"reports": len(reports), "first_update": first_update, "cadence": median(gaps), "updates": len(updates)}


# --- search and deflection -----------------------------------------------------------

#: Over the searches made on the search page in the period: click-through = searches
#: after which a result was opened / searches; no-result share = searches that found
#: nothing / searches. Suggestions opened: similar topics opened while asking (a daily
#: count). Found share: visitors' Yes to "Did you find what you needed?" / their answers.
#: Deflection ESTIMATE: suggestions opened × found share: questions probably not asked
#: because an existing topic answered them. An estimate, not a count.
def deflection_estimate(suggestions_opened: int, found_share: float | None) -> float | None:
    return None if found_share is None else suggestions_opened * found_share


# --- what customers talk about ------------------------------------------------------

#: Spike: for a term, x = its count in the last full hour; the baseline is its count in
#: the same hour of the week on each of the 4 previous weeks (28 days: 0 when absent),
#: mean μ and standard deviation σ (population). z = (x − μ) / max(σ, 1). Flagged when
#: z ≥ FORUM_INSIGHTS_SPIKE_Z and x ≥ FORUM_INSIGHTS_SPIKE_MIN_COUNT.
BASELINE_WEEKS = 4


def z_score(count: int, baseline: Sequence[int]) -> float:
    mean = sum(baseline) / len(baseline) if baseline else 0.0
    sigma = statistics.pstdev(baseline) if len(baseline) > 1 else 0.0
    return (count - mean) / max(sigma, 1.0)


# --- sentiment -----------------------------------------------------------------------

#: A member post's sentiment is VADER's compound score of its text: negative at or
#: below −0.05, positive at or above 0.05, neutral between (VADER's own thresholds).
NEGATIVE_AT, POSITIVE_AT = -0.05, 0.05


def sentiment_label(compound: float) -> str:
    if compound <= NEGATIVE_AT:
        return "negative"
    if compound >= POSITIVE_AT:
        return "positive"
    return "neutral"


SENTIMENTS = ("negative", "neutral", "positive")


def utc_hour(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
