"""Simulated sleep journals with known trigger effects, for tests, benchmarks and the demo.

:func:`simulate_journal` writes an exchange document (``docs/journal-format.md``) for one person:
diary times around a 23:00 bedtime (later on Friday and Saturday), evening exposures at realistic
frequencies, and episode counts from a negative binomial (Poisson when ``dispersion`` is 0) whose
mean is proportional to time in bed and multiplied by the true rate ratio of every exposed factor.
Factor names and units are those of :func:`sleeptwitch.journal.trigger_associations`, so a test
knows the truth it checks: ``effects={"caffeine_after_noon": 2.0}`` doubles the rate on nights
with caffeine after noon; ``effects={"stress": 1.3}`` multiplies it by 1.3 per stress point.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from types import MappingProxyType

import numpy as np

from ._analytics import FORMAT, NUMERIC_UNITS

__all__ = ["simulate_journal"]

DEFAULT_EFFECTS: Mapping[str, float] = MappingProxyType({"caffeine_after_noon": 2.0})
SIMULATED_FACTORS = (*NUMERIC_UNITS, "nicotine", "magnesium", "caffeine_after_noon",
                     "late_exercise", "medication:melatonin", "late_coding")
_CLOCK = np.array([f"{m // 60:02d}:{m % 60:02d}" for m in range(1440)], dtype=object)
_BODY_PARTS = (["legs"], ["feet"], ["arms"], ["whole_body"], ["legs", "arms"], ["hands"])
_BUCKETS = np.array(["falling_asleep", "asleep", "waking_up", "awake"], dtype=object)
# A person with ordinary sleep starts: no episodes while awake (that would be a red flag).
_BUCKET_P = (0.63, 0.32, 0.05, 0.0)


def _clock(window_min: np.ndarray) -> np.ndarray:
    """Window minutes (0 = 12:00 on the night's date) -> ``HH:MM`` strings."""
    return _CLOCK[(np.round(window_min).astype(int) + 720) % 1440]


def _check(nights: int, effects: Mapping[str, float], episodes_per_night: float,
           dispersion: float, missing: float) -> None:
    if not isinstance(nights, int | np.integer) or nights < 0:
        raise ValueError(f"nights must be a whole number >= 0, got {nights!r}")
    unknown = sorted(set(effects) - set(SIMULATED_FACTORS))
    if unknown:
        raise ValueError(f"Invalid effect {unknown[0]!r}: allowed are "
                         f"{', '.join(SIMULATED_FACTORS)}")
    bad = {k: v for k, v in effects.items() if not (np.isfinite(v) and v > 0)}
    if bad:
        raise ValueError(f"a rate ratio must be a positive number, got {bad}")
    if not episodes_per_night > 0 or dispersion < 0 or not 0 <= missing < 1:
        raise ValueError("episodes_per_night must be > 0, dispersion >= 0 and missing in [0, 1); "
                         f"got {episodes_per_night!r}, {dispersion!r}, {missing!r}")


def simulate_journal(nights: int = 60, *, effects: Mapping[str, float] = DEFAULT_EFFECTS,
                     seed: int | None = 0, start: str = "2026-01-05",
                     episodes_per_night: float = 3.0, dispersion: float = 0.3,
                     trend_per_week: float = 1.0, missing: float = 0.03) -> dict:
    """One person's simulated journal as an exchange document.

    Parameters
    ----------
    nights : number of consecutive nights from ``start`` (``YYYY-MM-DD``, the first evening).
    effects : true rate ratio per factor (binary: with vs without; numeric: per the unit
        :func:`trigger_associations` uses, e.g. per 100 mg caffeine). ``{}`` for no effect.
        Allowed names are in ``SIMULATED_FACTORS``.
    seed : seed of the random generator; the same seed gives the same journal.
    episodes_per_night : mean episode count over the simulated nights.
    dispersion : negative binomial dispersion (variance = mean + dispersion * mean**2); 0 gives
        Poisson counts.
    trend_per_week : true rate ratio per week since the first night.
    missing : chance that each exposure, and ``awake_min``, is not recorded on a night. The
        truth is still drawn and still acts on the counts, as when a person forgets to write
        down a coffee.
    """
    _check(nights, effects, episodes_per_night, dispersion, missing)
    rng = np.random.default_rng(seed)
    n = int(nights)
    first = dt.date.fromisoformat(start)
    dates = [(first + dt.timedelta(days=i)).isoformat() for i in range(n)]
    weekend = np.isin((first.weekday() + np.arange(n)) % 7, (4, 5))

    # diary times in window minutes (0 = 12:00 on the evening's date)
    bed = np.round(660 + rng.normal(0, 30, n) + 45 * weekend)
    lights = bed + 5 * rng.integers(0, 7, n)
    latency = np.minimum(np.round(rng.lognormal(np.log(15), 0.5, n)), 120)
    awakenings = rng.poisson(1.2, n)
    awake_min = np.round(awakenings * rng.gamma(2.0, 4.0, n))
    asleep_min = np.round(rng.normal(420, 35, n))
    wake = lights + latency + asleep_min + awake_min
    out = wake + rng.integers(0, 26, n)
    tib_h = (out - bed) / 60.0

    # the evening's exposures (true values)
    cups = rng.poisson(1.6, n)
    caffeine_mg = 95 * cups
    after_noon = (cups > 0) & (rng.random(n) < 1 - 0.6 ** cups)
    caffeine_last = np.where(after_noon, rng.integers(0, 361, n), rng.integers(1140, 1436, n))
    drinks = np.where(rng.random(n) < 0.2 + 0.25 * weekend, 1 + rng.poisson(0.8, n), 0)
    nicotine = rng.random(n) < 0.1
    exercised = rng.random(n) < 0.4
    exercise_min = np.where(exercised, rng.choice([20, 30, 45, 60, 90], n), 0)
    exercise_end = np.where(exercised, rng.integers(-300, 630, n), np.nan)  # 07:00 to 22:30
    late_exercise = exercised & (bed - exercise_end <= 180)
    stress = rng.choice(np.arange(1, 6), n, p=[0.15, 0.3, 0.3, 0.17, 0.08])
    screens = rng.choice([0, 15, 30, 60, 90, 120], n, p=[0.15, 0.15, 0.25, 0.25, 0.12, 0.08])
    magnesium = rng.random(n) < 0.2
    melatonin = rng.random(n) < 0.15
    late_coding = rng.random(n) < 0.2

    truth = {"caffeine_mg": caffeine_mg, "alcohol_drinks": drinks, "exercise_min": exercise_min,
             "stress": stress, "screens_min": screens, "nicotine": nicotine,
             "magnesium": magnesium, "caffeine_after_noon": after_noon,
             "late_exercise": late_exercise, "medication:melatonin": melatonin,
             "late_coding": late_coding}
    log_rate = np.log(tib_h / np.median(tib_h)) if n else np.zeros(0)
    log_rate = log_rate + np.arange(n) / 7.0 * np.log(trend_per_week)
    for name, rr in effects.items():
        unit = NUMERIC_UNITS.get(name, (1.0, ""))[0]
        log_rate = log_rate + np.log(rr) * truth[name].astype(float) / unit
    rate = np.exp(log_rate)
    mean = rate * episodes_per_night / rate.mean() if n else rate
    if dispersion > 0:
        mean = mean * rng.gamma(1.0 / dispersion, dispersion, n)
    count = rng.poisson(mean)

    # episodes: when in the night, how they were noted
    total = int(count.sum())
    night_of = np.repeat(np.arange(n), count)
    kind = rng.choice(4, total, p=_BUCKET_P)
    onset = (lights + latency)[night_of]
    times = np.select(
        [kind == 0, kind == 1, kind == 2],
        [np.maximum(onset + rng.normal(-3, 8, total), lights[night_of]),
         onset + 35 + rng.random(total) * (wake[night_of] - 40 - onset - 35),
         wake[night_of] + rng.random(total) * (out - wake)[night_of]],
        default=bed[night_of] - 1 - rng.random(total) * 90)
    time_text = np.where(rng.random(total) < 0.05, None, _clock(times))
    state = np.where(rng.random(total) < 0.7, _BUCKETS[kind], None)
    woke = rng.random(total) < np.array([0.35, 0.2, 0.1, 0.0])[kind]
    parts = rng.choice(len(_BODY_PARTS), total, p=[0.45, 0.2, 0.1, 0.15, 0.05, 0.05])
    intensity = rng.integers(1, 6, total)
    partner = rng.random(total) < 0.15
    episodes = [
        {"time": t, "state": s, "body_parts": list(_BODY_PARTS[b]), "intensity": i, "woke": w,
         "observed_by": "partner" if p else "self", "pattern": "single_jerk"}
        for t, s, b, i, w, p in zip(time_text.tolist(), state.tolist(), parts.tolist(),
                                    intensity.tolist(), woke.tolist(), partner.tolist(),
                                    strict=True)]
    starts = np.concatenate([[0], np.cumsum(count)]).tolist()

    quality = np.clip(np.round(3.6 - 0.25 * (count - count.mean()) + rng.normal(0, 0.7, n)), 1, 5)
    recorded = rng.random((n, 12)) >= missing  # 11 exposures, then awake_min
    text = {"bed": _clock(bed), "lights": _clock(lights), "wake": _clock(wake),
            "out": _clock(out), "caffeine_last": _clock(caffeine_last),
            "exercise_end": _clock(np.nan_to_num(exercise_end))}
    columns = [
        ("caffeine_mg", caffeine_mg.tolist()),
        ("caffeine_last", [t if c else None for t, c in zip(text["caffeine_last"].tolist(),
                                                            cups.tolist(), strict=True)]),
        ("alcohol_drinks", drinks.tolist()), ("nicotine", nicotine.tolist()),
        ("exercise_min", exercise_min.tolist()),
        ("exercise_end", [t if e else None for t, e in zip(text["exercise_end"].tolist(),
                                                           exercised.tolist(), strict=True)]),
        ("stress", stress.tolist()), ("screens_min", screens.tolist()),
        ("magnesium", magnesium.tolist()),
        ("medications", [["melatonin"] if m else [] for m in melatonin.tolist()]),
        ("late_coding", late_coding.tolist()),
    ]
    night_list = []
    for i in range(n):
        exposures = {name: values[i] for j, (name, values) in enumerate(columns)
                     if recorded[i, j] and values[i] is not None}
        night_list.append({
            "date": dates[i], "bedtime": text["bed"][i], "lights_out": text["lights"][i],
            "sleep_latency_min": int(latency[i]), "awakenings": int(awakenings[i]),
            "awake_min": int(awake_min[i]) if recorded[i, 11] else None,
            "wake_time": text["wake"][i], "out_of_bed": text["out"][i],
            "quality": int(quality[i]),
            "episodes": episodes[starts[i]:starts[i + 1]], "exposures": exposures})
    return {"format": FORMAT, "person": {"name": "Simulated person", "birth_date": "1990-01-01"},
            "nights": night_list}
