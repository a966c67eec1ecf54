"""Journal analytics: per-night counts, sleep measures, timing, trend and trigger associations.

Everything works from the exchange document (``docs/journal-format.md``); nothing here touches the
database. :func:`analyse` returns the documented ``analyse`` shape and :func:`trigger_associations`
the DESIGN.md ``journal triggers`` shape. Both are pure: same document, same result.

Decisions (the full list, with reasons, is in ``docs/journal-format.md`` under "Analytics"):

- Clock times. Minute 0 of a night of date D is 12:00 on D (the window runs to 12:00 on D+1).
  ``bedtime``, ``lights_out`` and episode times are placed in that window; ``wake_time`` and
  ``out_of_bed`` are the first such clock time after ``lights_out`` (else ``bedtime``).
  ``caffeine_last`` and ``exercise_end`` are placed in the window too, except that a morning clock
  time (00:00-11:59) that would fall after bedtime (or after 06:00 when no bedtime is recorded) is
  read as the morning of D.
- Episode counts. A night whose ``episodes`` is missing or null has no recorded count and is left
  out of every model; ``[]`` is a recorded zero. All of a night's episodes are counted.
- Time in bed is the exposure (``log`` offset, hours). A night without it gets the person's median
  recorded time in bed (8 h when none is recorded); ``tib_imputed`` says how many.
- One model per factor: episodes ~ factor, Poisson GLM with the offset. When the Pearson
  dispersion test rejects the Poisson variance (p < 0.05) the model is a negative binomial (NB2,
  dispersion by maximum likelihood), otherwise Poisson; either way the standard errors are scaled
  up by the square root of the model's Pearson dispersion when it is above 1. Wald 95% intervals
  and p values on the log rate ratio, on the t distribution with n - parameters degrees of
  freedom. Benjamini-Hochberg q values across the factors that were tested; a link is claimed
  only when q < alpha, and only ever as "goes with".
- When every episode falls on the nights at one end of a factor (separation), the rate ratio is
  0 or unbounded: the interval's finite end comes from the Poisson profile likelihood, the p value
  from the likelihood-ratio test, and an unbounded value is ``None``.
- Factors: ``nicotine``, ``magnesium`` and boolean custom factors are binary; ``caffeine_mg`` (per
  100 mg), ``alcohol_drinks`` (per drink), ``exercise_min`` and ``screens_min`` (per 30 min),
  ``stress`` (per point) and numeric custom factors (per recorded unit) are numeric; derived binary
  factors are ``caffeine_after_noon``, ``late_exercise`` (ended less than 3 h before bedtime) and
  ``medication:<name>`` for each medicine named anywhere in the journal. A factor not recorded on
  a night leaves that night out of its model; not recorded is never "no".
- Enough data: at least 14 nights with both the factor and the episode count recorded, of which
  at least 5 "with" and 5 "without". For a numeric factor "without" is at or below the median
  recorded value and "with" is above it.
- Trend: episodes ~ weeks since the first night, same model choice; ``slope_per_week`` is the rate
  ratio per week (1 = flat).
- Timing: an episode's ``state`` decides its bucket when recorded; otherwise its time does, relative
  to sleep onset (lights out, else bedtime, plus the latency).
"""

from __future__ import annotations

import logging
import math
import re
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize, stats

__all__ = ["analyse", "trigger_associations"]

logger = logging.getLogger("sleeptwitch")

FORMAT = "sleeptwitch-journal/1"
MIN_NIGHTS = 14
MIN_PER_GROUP = 5
CI_LEVEL = 0.95
OVERDISPERSION_P = 0.05
DEFAULT_TIME_IN_BED_H = 8.0
ONSET_WINDOW_MIN = 30.0
WAKING_WINDOW_MIN = 30.0
LATE_EXERCISE_MIN = 180.0
MORNING_CUTOFF_MIN = 18 * 60.0  # window minute of 06:00 on D+1
DAY_MIN = 1440.0

#: numeric exposures: (the unit a rate ratio is given per, its label)
NUMERIC_UNITS: Mapping[str, tuple[float, str]] = {
    "caffeine_mg": (100.0, "100 mg"),
    "alcohol_drinks": (1.0, "drink"),
    "exercise_min": (30.0, "30 min"),
    "stress": (1.0, "point"),
    "screens_min": (30.0, "30 min"),
}
BINARY_EXPOSURES = ("nicotine", "magnesium")
TIME_EXPOSURES = ("caffeine_last", "exercise_end")
STANDARD_EXPOSURES = (*NUMERIC_UNITS, *BINARY_EXPOSURES, *TIME_EXPOSURES, "medications")
DERIVED_FACTORS = ("caffeine_after_noon", "late_exercise")
TIMING_BUCKETS = ("sleep_onset", "later_in_night", "waking_up", "awake", "unknown")
STATE_BUCKET = {"falling_asleep": "sleep_onset", "asleep": "later_in_night",
                "waking_up": "waking_up", "awake": "awake"}
_NIGHT_TIMES = ("bedtime", "lights_out", "wake_time", "out_of_bed")
_NIGHT_NUMBERS = ("sleep_latency_min", "awakenings", "awake_min", "quality")
_HHMM = re.compile(r"([01]\d|2[0-3]):([0-5]\d)")


# --------------------------------------------------------------------------------------- parsing
def _bad(path: str, expected: str, value: Any) -> ValueError:
    return ValueError(f"{path}: expected {expected}, got {value!r}")


def _clock_min(values: list, path: Callable[[int], str]) -> np.ndarray:
    """``HH:MM`` (or None) -> minutes after midnight (NaN when not recorded)."""
    s = pd.Series(values, dtype=object)
    present = s.notna().to_numpy()
    out = np.full(len(s), np.nan)
    if present.any():
        text = s[present].astype(str)
        parts = text.str.extract(r"^([01]\d|2[0-3]):([0-5]\d)$")
        bad = parts[0].isna().to_numpy()
        if bad.any():
            i = int(np.flatnonzero(present)[np.argmax(bad)])
            raise _bad(path(i), "a time HH:MM", values[i])
        out[present] = parts[0].astype(int).to_numpy() * 60 + parts[1].astype(int).to_numpy()
    return out


def _at(field: str) -> Callable[[int], str]:
    """The path of a night's field in error messages: ``nights[3].bedtime``."""
    return lambda i: f"nights[{i}].{field}"


def _window(clock_min: np.ndarray) -> np.ndarray:
    """Minutes after midnight -> minutes after 12:00 on the night's date."""
    return (clock_min - 720.0) % DAY_MIN


def _after(clock_min: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """The first time with this clock reading after ``ref`` (window minutes)."""
    w = _window(clock_min)
    placed = ref + (w - ref) % DAY_MIN
    return np.where(np.isnan(ref), w, placed)


def _numbers(values: list, path: Callable[[int], str]) -> np.ndarray:
    """Numbers (or None) -> float array (NaN when not recorded)."""
    for i, v in enumerate(values):
        if v is not None and (isinstance(v, bool | np.bool_)
                              or not isinstance(v, int | float | np.number)):
            raise _bad(path(i), "a number", v)
    return np.array([np.nan if v is None else float(v) for v in values], dtype=float)


@dataclass(frozen=True)
class _Journal:
    """The document as arrays, one entry per night (document order) or per episode."""

    dates: np.ndarray          # datetime64[D]
    count: np.ndarray          # episodes per night, NaN when not recorded
    woke: np.ndarray           # episodes that woke the person
    time_in_bed_h: np.ndarray  # NaN when not computable
    total_sleep_h: np.ndarray
    nights: dict[str, np.ndarray]  # night-level fields, window minutes / numbers
    exposures: pd.DataFrame
    episode_night: np.ndarray
    episode_time: np.ndarray   # window minutes, NaN when unknown
    episode_state: np.ndarray  # object: state or None


def _read(document: Mapping) -> _Journal:
    if not isinstance(document, Mapping) or not isinstance(document.get("nights"), list):
        raise ValueError("a journal document is a mapping with a 'nights' list "
                         f"(format {FORMAT!r}); see docs/journal-format.md")
    fmt = document.get("format", FORMAT)
    if fmt != FORMAT:
        raise ValueError(f"format: allowed is {FORMAT!r}, got {fmt!r}")
    nights = document["nights"]
    for i, night in enumerate(nights):
        if not isinstance(night, Mapping):
            raise _bad(f"nights[{i}]", "an object", night)
    raw_dates = [night.get("date") for night in nights]
    dates = pd.to_datetime(pd.Series(raw_dates, dtype=object), format="%Y-%m-%d",
                           errors="coerce")
    if dates.isna().any():
        i = int(np.argmax(dates.isna().to_numpy()))
        raise _bad(f"nights[{i}].date", "a date YYYY-MM-DD", raw_dates[i])
    dup = dates.duplicated().to_numpy()
    if dup.any():
        i = int(np.argmax(dup))
        raise ValueError(f"nights[{i}].date: {raw_dates[i]} appears twice; one night per date")
    fields = {k: _clock_min([n.get(k) for n in nights], _at(k)) for k in _NIGHT_TIMES}
    fields.update({k: _numbers([n.get(k) for n in nights], _at(k)) for k in _NIGHT_NUMBERS})
    bed, lights = _window(fields["bedtime"]), _window(fields["lights_out"])
    sleep_ref = np.where(np.isnan(lights), bed, lights)
    wake = _after(fields["wake_time"], sleep_ref)
    out = _after(fields["out_of_bed"], sleep_ref)
    start = np.where(np.isnan(bed), lights, bed)
    end = np.where(np.isnan(out), wake, out)
    tib = end - start
    tib[~(tib > 0)] = np.nan
    tst = wake - lights - fields["sleep_latency_min"] - fields["awake_min"]
    tst[~(tst >= 0)] = np.nan
    night_fields = {"bed": bed, "lights": lights, "wake": wake, "out": out,
                    "latency": fields["sleep_latency_min"], "quality": fields["quality"],
                    "ref": np.where(np.isnan(bed), lights, bed)}

    lists = [n.get("episodes") for n in nights]
    for i, eps in enumerate(lists):
        if eps is not None and not isinstance(eps, list):
            raise _bad(f"nights[{i}].episodes", "a list", eps)
    sizes = np.array([len(e) if e is not None else 0 for e in lists], dtype=int)
    episodes = [e for eps in lists if eps for e in eps]
    ep_night = np.repeat(np.arange(len(nights)), sizes)
    ep_first = np.repeat(np.cumsum(sizes) - sizes, sizes)

    def ep_path(field: str) -> Callable[[int], str]:
        return lambda k: f"nights[{ep_night[k]}].episodes[{k - ep_first[k]}]{field}"

    for k, e in enumerate(episodes):
        if not isinstance(e, Mapping):
            raise _bad(ep_path("")(k), "an object", e)
    ep_time = _window(_clock_min([e.get("time") for e in episodes], ep_path(".time")))
    states = np.array([e.get("state") for e in episodes], dtype=object)
    unknown = [k for k, st in enumerate(states) if st is not None and st not in STATE_BUCKET]
    if unknown:
        raise _bad(ep_path(".state")(unknown[0]), f"one of {sorted(STATE_BUCKET)}",
                   states[unknown[0]])
    woke = np.array([e.get("woke") is True for e in episodes], dtype=bool)
    count = np.bincount(ep_night, minlength=len(nights)).astype(float)
    count[[e is None for e in lists]] = np.nan
    woke_count = np.bincount(ep_night, weights=woke, minlength=len(nights)).astype(float)
    woke_count[np.isnan(count)] = np.nan
    exposures = pd.DataFrame.from_records([n.get("exposures") or {} for n in nights],
                                          index=range(len(nights)))
    return _Journal(dates=dates.to_numpy().astype("datetime64[D]"), count=count,
                    woke=woke_count, time_in_bed_h=tib / 60.0, total_sleep_h=tst / 60.0,
                    nights=night_fields, exposures=exposures, episode_night=ep_night,
                    episode_time=ep_time, episode_state=states)


# --------------------------------------------------------------------------------------- factors
@dataclass(frozen=True)
class _Factor:
    name: str
    kind: str            # "binary" | "numeric"
    x: np.ndarray        # per night, in units of ``unit``; NaN = not recorded
    unit: str | None


def _column(journal: _Journal, name: str) -> list:
    col = journal.exposures.get(name)
    if col is None:
        return [None] * len(journal.count)
    return [None if (v is None or (isinstance(v, float) and math.isnan(v))) else v
            for v in col.tolist()]


def _binary(values: list, path: Callable[[int], str]) -> np.ndarray:
    for i, v in enumerate(values):
        if v is not None and not isinstance(v, bool | np.bool_):
            raise _bad(path(i), "true or false", v)
    return np.array([np.nan if v is None else float(v) for v in values])


def _exposure_time(journal: _Journal, name: str) -> np.ndarray:
    """``caffeine_last`` / ``exercise_end`` in window minutes; a morning time after bedtime (or
    after 06:00 without a bedtime) is the morning of the night's date (negative minutes)."""
    w = _window(_clock_min(_column(journal, name), _at(f"exposures.{name}")))
    ref = journal.nights["ref"]
    limit = np.where(np.isnan(ref), MORNING_CUTOFF_MIN, ref)
    morning = (w >= DAY_MIN / 2) & (w > limit)
    return np.where(morning, w - DAY_MIN, w)


def _factors(journal: _Journal) -> list[_Factor]:
    ex = journal.exposures
    found: list[_Factor] = []
    for name, (unit, label) in NUMERIC_UNITS.items():
        if name in ex:
            x = _numbers(_column(journal, name), _at(f"exposures.{name}"))
            found.append(_Factor(name, "numeric", x / unit, label))
    for name in BINARY_EXPOSURES:
        if name in ex:
            found.append(_Factor(name, "binary",
                                 _binary(_column(journal, name), _at(f"exposures.{name}")),
                                 None))
    derived = (("caffeine_after_noon", "caffeine_last", "caffeine_mg"),
               ("late_exercise", "exercise_end", "exercise_min"))
    for name, when, amount in derived:
        if when not in ex and amount not in ex:
            continue
        t = _exposure_time(journal, when)
        none = _numbers(_column(journal, amount), _at(f"exposures.{amount}")) == 0
        if name == "caffeine_after_noon":
            yes = t >= 0
        else:
            yes = journal.nights["ref"] - t <= LATE_EXERCISE_MIN
            t = np.where(np.isnan(journal.nights["ref"]), np.nan, t)
        x = np.where(none, 0.0, np.where(np.isnan(t), np.nan, yes.astype(float)))
        found.append(_Factor(name, "binary", x, None))
    if "medications" in ex:
        sets = []
        for i, v in enumerate(_column(journal, "medications")):
            if v is not None and (not isinstance(v, list)
                                  or not all(isinstance(m, str) for m in v)):
                raise _bad(f"nights[{i}].exposures.medications", "a list of names", v)
            sets.append(None if v is None else {m.strip().lower() for m in v})
        recorded = np.array([s is not None for s in sets])
        for med in sorted(set().union(*(s for s in sets if s))):
            has = np.array([s is not None and med in s for s in sets], dtype=float)
            found.append(_Factor(f"medication:{med}", "binary",
                                 np.where(recorded, has, np.nan), None))
    for name in sorted(set(ex.columns) - set(STANDARD_EXPOSURES)):
        values = _column(journal, name)
        path = _at(f"exposures.{name}")
        present = [v for v in values if v is not None]
        if not present:
            continue
        if all(isinstance(v, bool | np.bool_) for v in present):
            found.append(_Factor(name, "binary", _binary(values, path), None))
        else:
            as_num = [float(v) if isinstance(v, bool | np.bool_) else v for v in values]
            found.append(_Factor(name, "numeric", _numbers(as_num, path), "1"))
    return found


# ---------------------------------------------------------------------------------------- models
@dataclass(frozen=True)
class _Fit:
    rate_ratio: float | None
    ci_low: float | None
    ci_high: float | None
    p: float
    model: str
    dispersion: float | None
    reason: str | None = None


def _exp(v: float) -> float | None:
    """``exp(v)``, or None when it overflows (an unbounded end)."""
    return math.exp(v) if v < 700 else None


def _separated_fit(y: np.ndarray, x: np.ndarray, log_t: np.ndarray, at_max: bool) -> _Fit:
    """Every episode on the nights where ``x`` is at its maximum (or minimum): the rate ratio is
    unbounded (or 0). Poisson profile likelihood for the finite end, likelihood-ratio p value."""
    d = (x - x.max()) if at_max else (x.min() - x)  # <= 0, 0 where the episodes are
    t = np.exp(log_t)
    total, t_edge = y.sum(), t[d == 0].sum()
    crit = stats.chi2.ppf(CI_LEVEL, 1)

    def deviance(beta: float) -> float:  # 2 (sup loglik - profile loglik), decreasing in beta
        return 2 * total * (np.logaddexp.reduce(log_t + beta * d) - math.log(t_edge)) - crit

    lr = 2 * total * math.log(t.sum() / t_edge)
    lo, hi = -1.0, 1.0
    for _ in range(100):  # bracket the root; D runs from +inf down to 0
        if deviance(lo) >= 0 and deviance(hi) <= 0:
            break
        lo, hi = (lo * 2 if deviance(lo) < 0 else lo), (hi * 2 if deviance(hi) > 0 else hi)
    else:
        raise ValueError("the profile likelihood interval could not be bracketed")
    beta = optimize.brentq(deviance, lo, hi)
    bound = _exp(beta if at_max else -beta)
    reason = "separation_high" if at_max else "separation_low"
    if bound is None:
        raise ValueError("the profile likelihood bound is out of range")
    if at_max:
        return _Fit(None, bound, None, float(stats.chi2.sf(lr, 1)), "poisson_profile", None,
                    reason)
    return _Fit(0.0, 0.0, bound, float(stats.chi2.sf(lr, 1)), "poisson_profile", None, reason)


def _fit_rate_ratio(y: np.ndarray, x: np.ndarray, log_t: np.ndarray) -> _Fit:
    """Rate ratio per unit of ``x`` for counts ``y`` with exposure ``exp(log_t)``."""
    import statsmodels.api as sm

    if y[x < x.max()].sum() == 0:
        return _separated_fit(y, x, log_t, at_max=True)
    if y[x > x.min()].sum() == 0:
        return _separated_fit(y, x, log_t, at_max=False)
    exog = np.column_stack([np.ones_like(x), x])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pois = sm.GLM(y, exog, family=sm.families.Poisson(), offset=log_t).fit()
        df = max(pois.df_resid, 1.0)
        dispersion = float(pois.pearson_chi2 / df)
        beta, se, model = pois.params[1], pois.bse[1] * math.sqrt(max(dispersion, 1.0)), "poisson"
        if stats.chi2.sf(pois.pearson_chi2, df) < OVERDISPERSION_P:
            alpha0 = max((dispersion - 1.0) / max(float(np.mean(pois.mu)), 1e-9), 0.05)
            try:
                nb = sm.NegativeBinomial(y, exog, offset=log_t).fit(
                    start_params=np.r_[pois.params, alpha0], disp=0, maxiter=100)
                ok = bool(nb.mle_retvals.get("converged")) and np.all(np.isfinite(nb.bse))
            except (np.linalg.LinAlgError, ValueError):
                ok = False
            if ok:  # errors no smaller than the NB model's own Pearson residuals allow
                mu, nb_alpha = np.exp(exog @ nb.params[:2] + log_t), nb.params[2]
                nb_dispersion = np.sum((y - mu) ** 2 / (mu + nb_alpha * mu**2)) / max(y.size - 3, 1)
                beta, model = nb.params[1], "negative_binomial"
                se = nb.bse[1] * math.sqrt(max(nb_dispersion, 1.0))
            else:
                model = "quasi_poisson"
                logger.debug("negative binomial did not converge; quasi-Poisson errors used")
    if not (np.isfinite(beta) and np.isfinite(se) and se > 0):
        raise ValueError("the count model did not converge")
    df = max(y.size - (3 if model == "negative_binomial" else 2), 1)
    z = stats.t.ppf(0.5 + CI_LEVEL / 2, df)
    p = float(2 * stats.t.sf(abs(beta / se), df))
    return _Fit(_exp(beta), _exp(beta - z * se), _exp(beta + z * se), p, model, dispersion)


def _benjamini_hochberg(p: np.ndarray) -> np.ndarray:
    m = p.size
    if m == 0:
        return p
    order = np.argsort(p, kind="stable")
    ranked = p[order] * m / np.arange(1, m + 1)
    q = np.minimum(np.minimum.accumulate(ranked[::-1])[::-1], 1.0)
    out = np.empty(m)
    out[order] = q
    return np.maximum(out, p)


def _log_exposure(journal: _Journal) -> tuple[np.ndarray, int]:
    tib = journal.time_in_bed_h
    known = tib[np.isfinite(tib)]
    fill = float(np.median(known)) if known.size else DEFAULT_TIME_IN_BED_H
    missing = ~np.isfinite(tib) & np.isfinite(journal.count)
    return np.log(np.where(np.isfinite(tib), tib, fill)), int(missing.sum())


def _associate(journal: _Journal, alpha: float) -> dict:
    log_t, imputed = _log_exposure(journal)
    has_count = np.isfinite(journal.count)
    rows, fits = [], []
    for factor in _factors(journal):
        use = has_count & np.isfinite(factor.x)
        x, y, lt = factor.x[use], journal.count[use], log_t[use]
        if factor.kind == "binary":
            n_with = int((x == 1).sum())
        else:
            n_with = int((x > np.median(x)).sum()) if x.size else 0
        n_without = int(x.size - n_with)
        row = {"name": factor.name, "kind": factor.kind, "rate_ratio": None, "ci_low": None,
               "ci_high": None, "p": None, "q": None, "n_with": n_with,
               "n_without": n_without, "verdict": "not_enough_data", "unit": factor.unit,
               "model": None, "dispersion": None, "reason": None}
        fit = None
        if x.size < MIN_NIGHTS:
            row["reason"] = "too_few_nights"
        elif min(n_with, n_without) < MIN_PER_GROUP:
            row["reason"] = "too_few_with_or_without"
        elif y.sum() == 0:
            row["reason"] = "no_episodes"
        else:
            try:
                fit = _fit_rate_ratio(y, x, lt)
            except (ValueError, np.linalg.LinAlgError) as err:
                logger.debug("factor %s: %s", factor.name, err)
                row["reason"] = "model_failed"
        if fit is not None:
            row.update(rate_ratio=fit.rate_ratio, ci_low=fit.ci_low, ci_high=fit.ci_high,
                       p=fit.p, model=fit.model, dispersion=fit.dispersion, reason=fit.reason)
            fits.append(len(rows))
        rows.append(row)
    q = _benjamini_hochberg(np.array([rows[i]["p"] for i in fits], dtype=float))
    for i, qi in zip(fits, q, strict=True):
        row = rows[i]
        row["q"] = float(qi)
        if qi < alpha:
            up = row["rate_ratio"] is None or row["rate_ratio"] > 1
            row["verdict"] = "goes_with_more" if up else "goes_with_fewer"
        else:
            row["verdict"] = "no_clear_link"
    rows.sort(key=lambda r: (r["p"] is None, r["p"] if r["p"] is not None else 0.0, r["name"]))
    return {"nights": int(has_count.sum()), "factors": rows, "alpha": alpha,
            "tib_imputed": imputed}


# ---------------------------------------------------------------------------- trend, timing, etc.
def _trend(journal: _Journal, alpha: float) -> dict:
    out = {"slope_per_week": None, "ci_low": None, "ci_high": None,
           "verdict": "not_enough_data", "p": None, "model": None,
           "unit": "rate ratio per week"}
    use = np.isfinite(journal.count)
    if use.sum() < MIN_NIGHTS or journal.count[use].sum() == 0:
        return out
    log_t, _ = _log_exposure(journal)
    days = (journal.dates[use] - journal.dates[use].min()).astype(float)
    try:
        fit = _fit_rate_ratio(journal.count[use], days / 7.0, log_t[use])
    except (ValueError, np.linalg.LinAlgError):
        return out
    verdict = "no_clear_trend"
    if fit.p < alpha:
        verdict = "rising" if fit.rate_ratio is None or fit.rate_ratio > 1 else "falling"
    out.update(slope_per_week=fit.rate_ratio, ci_low=fit.ci_low, ci_high=fit.ci_high,
               verdict=verdict, p=fit.p, model=fit.model)
    return out


def _timing(journal: _Journal) -> dict[str, int]:
    n = journal.nights
    night = journal.episode_night
    t = journal.episode_time
    lights = np.where(np.isnan(n["lights"]), n["bed"], n["lights"])[night]
    onset_end = lights + np.nan_to_num(n["latency"][night]) + ONSET_WINDOW_MIN
    wake, out = n["wake"][night], n["out"][night]
    waking_end = np.where(np.isnan(out), wake + WAKING_WINDOW_MIN, out)
    by_time = np.select(
        [np.isnan(t) | np.isnan(lights), t < lights, t <= onset_end,
         np.isnan(wake) | (t < wake), t <= waking_end],
        ["unknown", "awake", "sleep_onset", "later_in_night", "waking_up"], default="awake")
    state = pd.Series(journal.episode_state, dtype=object)
    bucket = state.map(STATE_BUCKET).to_numpy(dtype=object)
    bucket = np.where(pd.isna(bucket), by_time, bucket)
    values, counts = np.unique(bucket.astype(str), return_counts=True)
    found = dict(zip(values.tolist(), counts.tolist(), strict=True))
    return {b: int(found.get(b, 0)) for b in TIMING_BUCKETS}


def _none_if_nan(v: float) -> float | None:
    return float(v) if np.isfinite(v) else None


def _mean(a: np.ndarray) -> float | None:
    a = a[np.isfinite(a)]
    return float(a.mean()) if a.size else None


def trigger_associations(document: Mapping, *, alpha: float = 0.05) -> dict:
    """Which recorded factors go with more or fewer episodes, one person, one model per factor.

    Returns the DESIGN.md ``journal triggers`` shape ``{"nights", "factors": [{"name", "kind",
    "rate_ratio", "ci_low", "ci_high", "p", "q", "n_with", "n_without", "verdict"}]}`` plus
    ``alpha``, ``tib_imputed`` (nights whose time in bed was filled with the median) and, per
    factor, ``unit`` (what a numeric rate ratio is per), ``model`` (``poisson``,
    ``negative_binomial``, ``quasi_poisson`` or ``poisson_profile`` under separation),
    ``dispersion`` (Pearson) and ``reason`` (why there is no estimate, or why it is unbounded).

    ``nights`` counts the nights with a recorded episode count. Factors come in order of p value,
    then those without a test. ``rate_ratio`` and interval are None when not estimated or when
    unbounded; ``goes_with_*`` means q < ``alpha`` (Benjamini-Hochberg) and is an association in
    one person's journal, not a cause. See the module docstring for the decisions.
    """
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be between 0 and 1, got {alpha!r}")
    return _associate(_read(document), alpha)


def analyse(document: Mapping, *, alpha: float = 0.05) -> dict:
    """Per-night counts and sleep measures, trend, timing and trigger associations.

    Returns ``{"nights", "first_date", "last_date", "per_night": [{"date", "episodes",
    "episodes_woke", "time_in_bed_h", "total_sleep_h", "sleep_efficiency", "quality"}],
    "trend": {"slope_per_week", "ci_low", "ci_high", "verdict", "p", "model", "unit"},
    "timing": {"sleep_onset", "later_in_night", "waking_up", "awake", "unknown"},
    "sleep": {"mean_efficiency", "mean_latency_min", "mean_quality", "mean_time_in_bed_h"},
    "triggers": trigger_associations(document)}``; ``per_night`` is in date order, a value that
    was not recorded or cannot be computed is None. ``slope_per_week`` is a rate ratio per week
    (1.0 = flat) with its 95% interval; ``verdict`` is ``rising``/``falling`` when p < ``alpha``,
    else ``no_clear_trend``, and ``not_enough_data`` below 14 nights with counts or without any
    episode. ``timing`` counts episodes: the recorded ``state`` decides (``falling_asleep`` ->
    sleep_onset, ``asleep`` -> later_in_night, ``waking_up``, ``awake``); otherwise the time:
    before lights out -> awake, up to 30 min after sleep onset (lights out + latency) ->
    sleep_onset, before ``wake_time`` -> later_in_night, up to ``out_of_bed`` (or 30 min after
    waking) -> waking_up, later -> awake; no time (or no lights out or bedtime) -> unknown.
    """
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be between 0 and 1, got {alpha!r}")
    journal = _read(document)
    order = np.argsort(journal.dates, kind="stable")
    tib, tst = journal.time_in_bed_h, journal.total_sleep_h
    efficiency = tst / tib
    date_text = np.datetime_as_string(journal.dates, unit="D")
    columns = {"episodes": journal.count, "episodes_woke": journal.woke,
               "time_in_bed_h": tib, "total_sleep_h": tst, "sleep_efficiency": efficiency,
               "quality": journal.nights["quality"]}
    as_lists = {k: [_none_if_nan(v) for v in a[order].tolist()] for k, a in columns.items()}
    for k in ("episodes", "episodes_woke", "quality"):  # whole numbers as recorded
        as_lists[k] = [v if v is None or not v.is_integer() else int(v) for v in as_lists[k]]
    keys = ("date", *columns)
    per_night = [dict(zip(keys, row, strict=True))
                 for row in zip(date_text[order].tolist(), *as_lists.values(), strict=True)]
    return {
        "nights": len(per_night),
        "first_date": per_night[0]["date"] if per_night else None,
        "last_date": per_night[-1]["date"] if per_night else None,
        "per_night": per_night,
        "trend": _trend(journal, alpha),
        "timing": _timing(journal),
        "sleep": {"mean_efficiency": _mean(efficiency),
                  "mean_latency_min": _mean(journal.nights["latency"]),
                  "mean_quality": _mean(journal.nights["quality"]),
                  "mean_time_in_bed_h": _mean(tib)},
        "triggers": _associate(journal, alpha),
    }
