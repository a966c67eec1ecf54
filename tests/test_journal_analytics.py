"""Journal analytics: sleep measures and timing by hand, trigger statistics against simulated
truth, the not-enough-data rules, and properties that must hold for any journal."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sleeptwitch.journal._analytics import _benjamini_hochberg, analyse, trigger_associations
from sleeptwitch.journal._simulate import simulate_journal

PROPS = settings(max_examples=25, deadline=None)


def by_name(result: dict) -> dict[str, dict]:
    return {f["name"]: f for f in result["factors"]}


def journal(nights: list[dict]) -> dict:
    return {"format": "sleeptwitch-journal/1", "person": {"name": "Test"}, "nights": nights}


def dates(n: int, start: str = "2026-01-05") -> list[str]:
    first = dt.date.fromisoformat(start)
    return [(first + dt.timedelta(days=i)).isoformat() for i in range(n)]


def factor_journal(values: list, counts: list[int], name: str = "late_coding") -> dict:
    """Nights of 8 h in bed with the given factor values (None = not recorded) and counts."""
    nights = []
    for date, value, count in zip(dates(len(values)), values, counts, strict=True):
        exposures = {} if value is None else {name: value}
        nights.append({"date": date, "bedtime": "23:00", "out_of_bed": "07:00",
                       "episodes": [{"time": "23:20"}] * count, "exposures": exposures})
    return journal(nights)


# ------------------------------------------------------------------- hand-made night, by hand
HAND = journal([
    {"date": "2026-03-04"},  # nothing recorded, listed first: per_night comes back in date order
    {"date": "2026-03-01", "bedtime": "23:10", "lights_out": "23:30", "sleep_latency_min": 20,
     "awake_min": 15, "wake_time": "06:50", "out_of_bed": "07:05", "quality": 3,
     "episodes": [
         {"time": "23:15"},                            # before lights out: awake
         {"time": "23:45", "woke": True},              # onset 23:50, window to 00:20
         {"time": "00:15"},                            # across midnight, still sleep onset
         {"time": "00:25"},                            # later in the night
         {"time": "03:00"},
         {"time": "03:00", "state": "falling_asleep"},  # the recorded state decides
         {"time": "06:55", "woke": False},             # between waking and out of bed
         {"time": "07:30"},                            # out of bed: awake
         {"time": None}]},                             # unknown
    {"date": "2026-03-02", "bedtime": "00:30", "lights_out": "00:45", "sleep_latency_min": 10,
     "awake_min": 0, "wake_time": "08:15", "quality": 4,
     "episodes": [
         {"time": "00:20"},                            # before lights out: awake
         {"time": "01:00"},                            # onset 00:55: sleep onset
         {"time": "08:30"},                            # no out_of_bed: waking up to 08:45
         {"time": "09:00"},                            # awake
         {"state": "asleep"}]},                        # no time, state: later in the night
    {"date": "2026-03-03", "bedtime": "22:00", "out_of_bed": "06:00",
     "episodes": [{"time": "22:20"}, {"time": "22:40"}]},  # bedtime stands in for lights out
])


def test_sleep_measures_by_hand():
    result = analyse(HAND)
    assert result["nights"] == 4
    assert (result["first_date"], result["last_date"]) == ("2026-03-01", "2026-03-04")
    night = {n["date"]: n for n in result["per_night"]}
    assert [n["date"] for n in result["per_night"]] == dates(4, "2026-03-01")
    a, b, c, d = (night[x] for x in dates(4, "2026-03-01"))
    # A: in bed 23:10-07:05 = 475 min; asleep 23:30-06:50 = 440 - 20 latency - 15 WASO = 405
    assert a["time_in_bed_h"] == pytest.approx(475 / 60)
    assert a["total_sleep_h"] == pytest.approx(405 / 60)
    assert a["sleep_efficiency"] == pytest.approx(405 / 475)
    assert (a["episodes"], a["episodes_woke"], a["quality"]) == (9, 1, 3)
    # B: bedtime after midnight; no out_of_bed so TIB ends at waking: 00:30-08:15 = 465 min
    assert b["time_in_bed_h"] == pytest.approx(7.75)
    assert b["total_sleep_h"] == pytest.approx(440 / 60)
    assert b["sleep_efficiency"] == pytest.approx(440 / 465)
    # C: no lights out, latency or WASO: TIB only
    assert c["time_in_bed_h"] == pytest.approx(8.0)
    assert c["total_sleep_h"] is None and c["sleep_efficiency"] is None
    # D: nothing recorded, episodes included
    assert d["episodes"] is None and d["time_in_bed_h"] is None and d["quality"] is None
    sleep = result["sleep"]
    assert sleep["mean_efficiency"] == pytest.approx((405 / 475 + 440 / 465) / 2)
    assert sleep["mean_latency_min"] == pytest.approx(15)
    assert sleep["mean_quality"] == pytest.approx(3.5)
    assert sleep["mean_time_in_bed_h"] == pytest.approx((475 / 60 + 7.75 + 8) / 3)


def test_timing_by_hand():
    assert analyse(HAND)["timing"] == {"sleep_onset": 5, "later_in_night": 4, "waking_up": 2,
                                       "awake": 4, "unknown": 1}


def test_output_is_plain_json_and_input_untouched():
    before = json.dumps(HAND, sort_keys=True)
    text = json.dumps(analyse(HAND), allow_nan=False)
    assert json.dumps(HAND, sort_keys=True) == before
    assert set(json.loads(text)) >= {"nights", "first_date", "last_date", "per_night", "trend",
                                     "timing", "sleep", "triggers"}


def test_exposure_clock_rules_for_derived_factors():
    def night(i: int, **fields) -> dict:
        exposures = fields.pop("exposures")
        return {"date": dates(8)[i], **fields, "episodes": [], "exposures": exposures}

    caffeine = journal([
        night(0, bedtime="23:10", exposures={"caffeine_mg": 95, "caffeine_last": "09:00"}),  # no
        night(1, bedtime="00:30", exposures={"caffeine_last": "00:15"}),                  # yes
        night(2, bedtime="23:00", exposures={"caffeine_last": "15:30"}),                  # yes
        night(3, bedtime="23:00", exposures={"caffeine_mg": 0}),                          # no
        night(4, bedtime="23:00", exposures={"caffeine_mg": 200}),              # not recorded
        night(5, exposures={"caffeine_last": "08:00"}),               # no bedtime: morning, no
        night(6, exposures={"caffeine_last": "02:00"}),               # no bedtime: night, yes
        night(7, bedtime="23:00", exposures={"caffeine_last": "23:30"}),                  # yes
    ])
    f = by_name(trigger_associations(caffeine))["caffeine_after_noon"]
    assert (f["n_with"], f["n_without"], f["verdict"]) == (4, 3, "not_enough_data")
    exercise = journal([
        night(0, bedtime="23:00", exposures={"exercise_min": 30, "exercise_end": "21:00"}),  # yes
        night(1, bedtime="23:00", exposures={"exercise_end": "19:30"}),                   # no
        night(2, bedtime="00:30", exposures={"exercise_end": "22:00"}),                   # yes
        night(3, bedtime="23:00", exposures={"exercise_min": 0}),                         # no
        night(4, exposures={"exercise_end": "20:00"}),              # no bedtime: not recorded
        night(5, bedtime="23:00", exposures={"exercise_end": "07:30"}),          # morning: no
        night(6, bedtime="23:00", exposures={"exercise_min": 45}),              # not recorded
        night(7, lights_out="23:00", exposures={"exercise_end": "23:30"}),  # after lights: yes
    ])
    f = by_name(trigger_associations(exercise))["late_exercise"]
    assert (f["n_with"], f["n_without"]) == (3, 3)
    meds = journal([night(0, exposures={"medications": ["Melatonin "]}),
                    night(1, exposures={"medications": ["melatonin", "iron"]}),
                    night(2, exposures={"medications": []}), night(3, exposures={})])
    factors = by_name(trigger_associations(meds))
    assert (factors["medication:melatonin"]["n_with"],
            factors["medication:melatonin"]["n_without"]) == (2, 1)
    assert (factors["medication:iron"]["n_with"], factors["medication:iron"]["n_without"]) == (1, 2)


# ------------------------------------------------------------------- simulated truth
def test_strong_effect_found_with_interval_covering_truth():
    doc = simulate_journal(90, effects={"caffeine_after_noon": 2.5}, seed=3)
    f = by_name(trigger_associations(doc))["caffeine_after_noon"]
    assert f["kind"] == "binary" and f["verdict"] == "goes_with_more"
    assert f["ci_low"] <= 2.5 <= f["ci_high"]
    assert f["ci_low"] > 1 and f["q"] < 0.05


def test_no_effect_flags_nothing():
    result = trigger_associations(simulate_journal(60, effects={}, seed=5))
    assert result["nights"] == 60
    assert not [f["name"] for f in result["factors"] if f["verdict"].startswith("goes_with")]


@pytest.mark.parametrize(("factor", "truth", "verdict"), [("stress", 1.4, "goes_with_more"),
                                                          ("exercise_min", 0.6, "goes_with_fewer")])
def test_numeric_factor_direction(factor, truth, verdict):
    doc = simulate_journal(150, effects={factor: truth}, seed=11)
    f = by_name(trigger_associations(doc))[factor]
    assert f["kind"] == "numeric" and f["verdict"] == verdict
    assert f["unit"] == {"stress": "point", "exercise_min": "30 min"}[factor]
    assert f["ci_low"] <= truth <= f["ci_high"]


def test_negative_binomial_when_overdispersed_poisson_when_not():
    wild = trigger_associations(simulate_journal(120, effects={}, seed=2, dispersion=1.0))
    tested = [f for f in wild["factors"] if f["p"] is not None]
    assert tested and all(f["model"] == "negative_binomial" for f in tested)
    assert all(f["dispersion"] > 1.5 for f in tested)
    calm = trigger_associations(simulate_journal(120, effects={}, seed=2, dispersion=0.0))
    models = [f["model"] for f in calm["factors"] if f["p"] is not None]
    assert models.count("poisson") > len(models) / 2


def test_trend_rising_and_not_enough_data():
    trend = analyse(simulate_journal(84, effects={}, seed=4, trend_per_week=1.1))["trend"]
    assert trend["verdict"] == "rising"
    assert trend["ci_low"] <= 1.1 <= trend["ci_high"]
    short = analyse(simulate_journal(13, seed=4))["trend"]
    assert short["verdict"] == "not_enough_data" and short["slope_per_week"] is None


# ------------------------------------------------------------------- not enough data, edge cases
@pytest.mark.parametrize(("n_nights", "n_with", "verdict", "reason"), [
    (13, 6, "not_enough_data", "too_few_nights"),
    (14, 4, "not_enough_data", "too_few_with_or_without"),
    (14, 10, "not_enough_data", "too_few_with_or_without"),  # only 4 without
    (14, 5, "goes_with_more", None),
])
def test_not_enough_data_thresholds(n_nights, n_with, verdict, reason):
    values = [True] * n_with + [False] * (n_nights - n_with)
    counts = [6] * n_with + [1] * (n_nights - n_with)
    f = by_name(trigger_associations(factor_journal(values, counts)))["late_coding"]
    assert (f["verdict"], f["reason"]) == (verdict, reason)
    assert (f["n_with"], f["n_without"]) == (n_with, n_nights - n_with)
    if verdict == "not_enough_data":
        assert f["rate_ratio"] is None and f["p"] is None and f["q"] is None


def test_numeric_with_and_without_split_at_the_median():
    values = [0] * 10 + [1, 2, 3, 4, 5]
    f = by_name(trigger_associations(factor_journal(values, [1] * 15, "naps")))["naps"]
    assert (f["kind"], f["n_with"], f["n_without"], f["unit"]) == ("numeric", 5, 10, "1")
    same = by_name(trigger_associations(factor_journal([2.0] * 20, [1] * 20, "naps")))["naps"]
    assert (same["n_with"], same["verdict"]) == (0, "not_enough_data")


def test_not_recorded_nights_are_left_out():
    rng = np.random.default_rng(0)
    values = [bool(v) for v in rng.random(30) < 0.5]
    counts = rng.poisson(3, 30).tolist()
    gaps = [3, 7, 8, 15, 21, 22, 29]
    with_gaps = [None if i in gaps else v for i, v in enumerate(values)]
    full = factor_journal(with_gaps, counts)
    f = by_name(trigger_associations(full))["late_coding"]
    assert f["n_with"] + f["n_without"] == 30 - len(gaps)
    kept = [i for i in range(30) if i not in gaps]
    dropped = factor_journal([values[i] for i in kept], [counts[i] for i in kept])
    g = by_name(trigger_associations(dropped))["late_coding"]
    assert f["rate_ratio"] == pytest.approx(g["rate_ratio"], rel=1e-9)
    assert f["p"] == pytest.approx(g["p"], rel=1e-9)
    as_no = factor_journal([False if v is None else v for v in with_gaps], counts)
    h = by_name(trigger_associations(as_no))["late_coding"]
    assert h["n_without"] == f["n_without"] + len(gaps)  # "no" is not the same as not recorded


def test_nights_without_an_episode_list_are_not_zero_nights():
    doc = factor_journal([True, False] * 10, [4, 1] * 10)
    doc["nights"][0].pop("episodes")
    result = trigger_associations(doc)
    assert result["nights"] == 19
    assert by_name(result)["late_coding"]["n_with"] == 9


def test_separation_gives_one_sided_interval_without_crashing():
    values = [True] * 8 + [False] * 12
    up = by_name(trigger_associations(factor_journal(values, [2] * 8 + [0] * 12)))["late_coding"]
    assert up["rate_ratio"] is None and up["ci_high"] is None and up["ci_low"] > 1
    assert (up["verdict"], up["reason"]) == ("goes_with_more", "separation_high")
    flipped = [not v for v in values]
    down = by_name(trigger_associations(factor_journal(flipped, [2] * 8 + [0] * 12)))
    down = down["late_coding"]
    assert down["rate_ratio"] == 0 and down["ci_high"] == pytest.approx(1 / up["ci_low"])
    assert down["verdict"] == "goes_with_fewer"
    json.dumps([up, down], allow_nan=False)


def test_no_episodes_and_constant_factors_are_not_enough_data():
    nothing = by_name(trigger_associations(factor_journal([True, False] * 10, [0] * 20)))
    assert (nothing["late_coding"]["verdict"], nothing["late_coding"]["reason"]) == (
        "not_enough_data", "no_episodes")
    always = by_name(trigger_associations(factor_journal([True] * 20, [2] * 20)))["late_coding"]
    assert always["verdict"] == "not_enough_data" and always["n_without"] == 0
    same = trigger_associations(factor_journal([True, False] * 10, [2] * 20))
    assert by_name(same)["late_coding"]["rate_ratio"] == pytest.approx(1.0)


def test_missing_time_in_bed_filled_with_median():
    doc = factor_journal([True, False] * 10, [3, 1] * 10)
    for night in doc["nights"][:3]:
        night.pop("bedtime")
    result = trigger_associations(doc)
    assert result["tib_imputed"] == 3


def test_benjamini_hochberg_by_hand_and_q_not_below_p():
    q = _benjamini_hochberg(np.array([0.01, 0.04, 0.03, 0.20]))
    assert q == pytest.approx([0.04, 0.16 / 3, 0.16 / 3, 0.20])
    result = trigger_associations(simulate_journal(60, seed=8))
    tested = [f for f in result["factors"] if f["p"] is not None]
    assert len(tested) >= 5
    assert all(f["p"] <= f["q"] <= 1 for f in tested)
    assert [f["q"] for f in tested] == sorted(f["q"] for f in tested)  # listed by p: q follows


@pytest.mark.parametrize(("document", "message"), [
    (journal([{"date": "2026-01-01", "bedtime": "25:00"}]), r"nights\[0\]\.bedtime"),
    (journal([{"date": "2026-01-01"}, {"date": "2026-01-02", "episodes": [{}, {"time": "1:0"}]}]),
     r"nights\[1\]\.episodes\[1\]\.time"),
    (journal([{"date": "2026-01-01", "exposures": {"caffeine_mg": "lots"}}]),
     r"exposures\.caffeine_mg"),
    (journal([{"date": "2026-01-01"}, {"date": "2026-01-01"}]), "appears twice"),
    ({"format": "other/1", "nights": []}, "allowed is"),
])
def test_bad_input_names_the_entry(document, message):
    with pytest.raises(ValueError, match=message):
        analyse(document)


def test_simulator_is_deterministic_and_checks_effects():
    assert simulate_journal(20, seed=9) == simulate_journal(20, seed=9)
    assert simulate_journal(20, seed=9) != simulate_journal(20, seed=10)
    doc = simulate_journal(30, seed=1, episodes_per_night=4.0)
    assert doc["format"] == "sleeptwitch-journal/1" and len(doc["nights"]) == 30
    assert [n["date"] for n in doc["nights"]] == dates(30)
    with pytest.raises(ValueError, match="Invalid effect 'coffee'"):
        simulate_journal(10, effects={"coffee": 2.0})


# ------------------------------------------------------------------- properties
night_entries = st.lists(st.tuples(st.sampled_from([True, False, None]), st.integers(0, 6)),
                         min_size=1, max_size=30)


@PROPS
@given(entries=night_entries)
def test_no_claim_without_enough_nights_with_and_without(entries):
    values, counts = zip(*entries, strict=True)
    f = by_name(trigger_associations(factor_journal(list(values), list(counts))))
    if "late_coding" not in f:
        assert all(v is None for v in values)
        return
    f = f["late_coding"]
    assert f["n_with"] == sum(v is True for v in values)
    assert f["n_without"] == sum(v is False for v in values)
    if f["n_with"] < 5 or f["n_without"] < 5 or f["n_with"] + f["n_without"] < 14:
        assert f["verdict"] == "not_enough_data"
    if f["verdict"] != "not_enough_data":
        assert f["p"] <= f["q"]
        assert f["ci_low"] is None or f["ci_high"] is None or f["ci_low"] <= f["ci_high"]


@settings(max_examples=8, deadline=None)
@given(seed=st.integers(0, 10_000), nights=st.integers(14, 40), order_seed=st.integers(0, 999))
def test_night_order_does_not_change_rate_ratios(seed, nights, order_seed):
    doc = simulate_journal(nights, seed=seed)
    shuffled = dict(doc, nights=list(np.random.default_rng(order_seed).permutation(doc["nights"])))
    a, b = by_name(trigger_associations(doc)), by_name(trigger_associations(shuffled))
    assert a.keys() == b.keys()
    for name, f in a.items():
        g = b[name]
        assert (f["verdict"], f["n_with"], f["n_without"]) == (g["verdict"], g["n_with"],
                                                               g["n_without"])
        for key in ("rate_ratio", "ci_low", "ci_high"):
            assert (f[key] is None) == (g[key] is None)
            if f[key] is not None:
                assert f[key] == pytest.approx(g[key], rel=1e-5, abs=1e-9)
