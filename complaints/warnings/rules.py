"""The statistical rules of the early warning (预警防控), pure and exact enough to test by hand.

**Counts** (complaints of one category, volunteers' findings, inspection findings): a subject's count in the
recent window is compared with what its own history and the district lead one to expect. The expected rate is the
subject's own rate shrunk towards the district's rate per subject — a Gamma prior worth ``prior_days`` of the
district's experience, updated with the subject's ``history_days`` — so a merchant with no history is judged by
the district, and one with a long history mostly by itself. The count is then tested against that rate's
predictive distribution (Gamma-Poisson, i.e. negative binomial), which is a Poisson test that also allows for not
knowing the subject's rate exactly: P(X ≥ observed). A rise is significant when that probability is at most
``alpha`` and the count reaches ``min_count`` (two complaints are never a pattern, however quiet the stall was).

**Shares** (instruments out of their verification period): the subject's share now is compared with its own
share at the month ends of the past year, shrunk towards the district's share now — a Beta prior worth
``prior_instruments`` instrument-looks of the district — and tested against that share's predictive distribution
(beta-binomial): P(X ≥ bad of n), with the same ``alpha`` and a minimum count.

``alpha`` is small because the rule runs every night over every merchant and market and each category: the bench
(bench/early_warning.py) measures what it detects and how many false alarms a month it raises.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

_TINY = 1e-17


@dataclass(frozen=True, slots=True)
class CountRule:
    window_days: int = 30
    history_days: int = 365
    prior_days: float = 30.0
    alpha: float = 1e-3
    min_count: int = 3
    release: float = 0.05  # an open warning subsides once the rise is this likely by chance (or below min_count)


@dataclass(frozen=True, slots=True)
class ShareRule:
    prior_instruments: float = 50.0
    alpha: float = 1e-3
    min_count: int = 2
    release: float = 0.05


@dataclass(frozen=True, slots=True)
class Test:
    observed: int
    expected: float  # what the baseline leads one to expect in the window (or of the instruments)
    p_value: float  # the chance of at least ``observed`` were the baseline right
    significant: bool  # raises a warning
    holds: bool  # keeps an open warning open (a looser level, so that one rise is one warning, not several)


def _tail(first_log_term: float, next_ratio: Callable[[int], float], start: int, stop: int | None = None) -> float:
    """Σ exp(log term) from ``start`` on, each term the previous times ``next_ratio(i)``, until negligible."""
    term, total, i = math.exp(first_log_term), 0.0, start
    while term > 0 and (stop is None or i <= stop):
        total += term
        if term < _TINY * total:
            break
        term *= next_ratio(i)
        i += 1
    return min(total, 1.0)


def poisson_tail(k: int, mean: float) -> float:
    """P(X ≥ k) for X ~ Poisson(mean)."""
    if k <= 0:
        return 1.0
    if mean <= 0:
        return 0.0
    log_first = k * math.log(mean) - mean - math.lgamma(k + 1)
    return _tail(log_first, lambda i: mean / (i + 1), k)


def negative_binomial_tail(k: int, shape: float, p: float) -> float:
    """P(X ≥ k) for X ~ NB(shape, p): the count of failures before the shape-th success, P(x) ∝ C(x+r−1, x) q^x."""
    if k <= 0:
        return 1.0
    q = 1.0 - p
    if shape <= 0 or q <= 0:
        return 0.0
    log_first = math.lgamma(k + shape) - math.lgamma(shape) - math.lgamma(k + 1) + shape * math.log(p) + k * math.log(q)
    return _tail(log_first, lambda i: q * (i + shape) / (i + 1), k)


def beta_binomial_tail(k: int, n: int, a: float, b: float) -> float:
    """P(X ≥ k) for X ~ BetaBinomial(n, a, b): k of n when the share itself is Beta(a, b)."""
    if k <= 0:
        return 1.0
    if k > n or a <= 0:
        return 0.0
    if b <= 0:
        return 1.0
    log_first = math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)
    log_first += math.lgamma(k + a) + math.lgamma(n - k + b) - math.lgamma(n + a + b)
    log_first -= math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b)
    return _tail(log_first, lambda i: (n - i) / (i + 1) * (i + a) / (n - i - 1 + b) if i < n else 0.0, k, n)


def count_test(observed: int, *, history: int, district_rate: float, rule: CountRule) -> Test:
    """``history``: the subject's count in the ``history_days`` before the window; ``district_rate``: the
    district's count per subject per day over the same days."""
    shape = history + rule.prior_days * district_rate  # Gamma(shape, rate) on the subject's daily rate
    rate = rule.history_days + rule.prior_days
    expected = shape / rate * rule.window_days
    if shape <= 0:  # nothing like it anywhere in the district for a year: any occurrence is unexpected
        p_value = 0.0 if observed > 0 else 1.0
    else:
        p_value = negative_binomial_tail(observed, shape, rate / (rate + rule.window_days))
    return Test(observed, expected, p_value, observed >= rule.min_count and p_value <= rule.alpha,
                observed >= rule.min_count and p_value <= rule.release)  # fmt: skip


def share_test(bad: int, total: int, *, own_bad: int, own_total: int, district_share: float, rule: ShareRule) -> Test:
    """``own_bad`` of ``own_total``: the subject's instruments out of period, summed over its past looks (the
    month ends of the past year); 0 of 0 without a history."""
    a = own_bad + rule.prior_instruments * district_share  # Beta(a, b) on the subject's share
    b = own_total - own_bad + rule.prior_instruments * (1 - district_share)
    expected = total * a / (a + b)
    # With nothing out of period anywhere, ever (a = 0), any such instrument is unexpected.
    p_value = beta_binomial_tail(bad, total, a, b) if a > 0 else (0.0 if bad > 0 else 1.0)
    rises = bad >= rule.min_count and bad > expected
    return Test(bad, expected, p_value, rises and p_value <= rule.alpha, rises and p_value <= rule.release)
