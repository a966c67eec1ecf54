"""The night simulator: determinism, truth consistency, and the signal matching its truth."""

import logging
import time

import numpy as np
import pandas as pd
import pytest

from sleeptwitch.simulate import (
    SimulatedNight,
    simulate_night,
    simulate_noise_only,
    write_simulated_edf,
)

TRUTH_COLUMNS = ["onset", "duration", "side", "stage", "in_train", "train_id", "respiratory",
                 "peak_amplitude_uv"]
STAGES = {"W", "N1", "N2", "N3", "R"}
LEGS = {"left": "Leg L", "right": "Leg R"}


@pytest.fixture(scope="module")
def night() -> SimulatedNight:
    """A default 8-h night with some apneas."""
    return simulate_night(n_apneas=10, seed=7)


@pytest.fixture(scope="module")
def noisy() -> SimulatedNight:
    """A noisier 3-h night with an ECG leak."""
    return simulate_night(duration_h=3.0, noise_uv=7.5, ecg_uv=20.0, n_plm_trains=3,
                          n_isolated=20, n_apneas=4, bilateral_fraction=0.5, seed=11)


def envelope(x: np.ndarray, sf: float, win_s: float = 0.2) -> np.ndarray:
    """Centred moving mean of the rectified signal."""
    k = max(int(round(win_s * sf)), 1)
    c = np.concatenate([[0.0], np.cumsum(np.abs(x))])
    out = np.full(x.size, np.nan)
    half = k // 2
    out[half: half + x.size - k + 1] = (c[k:] - c[:-k]) / k
    return out


def clms(truth: pd.DataFrame) -> pd.DataFrame:
    """Candidate LMs: bilateral pairs (onsets < 0.5 s apart on the two legs) merged into one."""
    t = truth.sort_values("onset").reset_index(drop=True)
    new = np.r_[True, np.diff(t["onset"].to_numpy()) >= 0.5]
    return t.groupby(np.cumsum(new)).agg(onset=("onset", "min"), train_id=("train_id", "first"),
                                         n=("side", "size"), n_sides=("side", "nunique"))


def event_mask(n: int, sf: float, table: pd.DataFrame, side: str, pad_s: float) -> np.ndarray:
    mask = np.zeros(n, dtype=bool)
    rows = table[table["side"] == side]
    for onset, duration in zip(rows["onset"], rows["duration"], strict=True):
        mask[max(int((onset - pad_s) * sf), 0): int((onset + duration + pad_s) * sf)] = True
    return mask


# -- determinism ---------------------------------------------------------------------------------
def test_same_seed_same_night_other_seed_other_night():
    a = simulate_night(duration_h=1.0, n_apneas=2, ecg_uv=10.0, seed=5)
    b = simulate_night(duration_h=1.0, n_apneas=2, ecg_uv=10.0, seed=5)
    c = simulate_night(duration_h=1.0, n_apneas=2, ecg_uv=10.0, seed=6)
    for name in ("Leg L", "Leg R"):
        np.testing.assert_array_equal(a.signals[name], b.signals[name])
        assert not np.array_equal(a.signals[name], c.signals[name])
    np.testing.assert_array_equal(a.hypnogram, b.hypnogram)
    for attr in ("truth", "fragments", "respiratory", "arousals"):
        pd.testing.assert_frame_equal(getattr(a, attr), getattr(b, attr))
    assert a.params == b.params
    assert not a.truth["onset"].equals(c.truth["onset"])


def test_seed_none_is_reproducible_from_entropy():
    a = simulate_night(duration_h=0.5, seed=None)
    b = simulate_night(duration_h=0.5, seed=a.params["entropy"])
    assert a.params["seed"] is None
    np.testing.assert_array_equal(a.signals["Leg L"], b.signals["Leg L"])
    pd.testing.assert_frame_equal(a.truth, b.truth)


def test_noise_and_ecg_settings_leave_the_truth_alone():
    a = simulate_night(duration_h=1.0, noise_uv=2.0, seed=3)
    b = simulate_night(duration_h=1.0, noise_uv=6.0, ecg_uv=30.0, mains_uv=5.0, seed=3)
    pd.testing.assert_frame_equal(a.truth, b.truth)
    pd.testing.assert_frame_equal(a.fragments, b.fragments)
    np.testing.assert_array_equal(a.hypnogram, b.hypnogram)


# -- truth consistency ---------------------------------------------------------------------------
@pytest.mark.parametrize("fixture", ["night", "noisy"])
def test_truth_schema_and_ranges(fixture, request):
    sim = request.getfixturevalue(fixture)
    truth = sim.truth
    assert list(truth.columns) == TRUTH_COLUMNS
    assert truth["onset"].is_monotonic_increasing
    assert truth["in_train"].dtype == bool and truth["respiratory"].dtype == bool
    assert truth["train_id"].dtype == np.int64
    assert set(truth["side"]) == {"left", "right"}
    assert truth["duration"].between(0.5, 10.0).all()
    assert truth["peak_amplitude_uv"].between(25.0, 150.0).all()
    assert (truth["in_train"] == (truth["train_id"] >= 0)).all()
    duration_s = len(sim.hypnogram) * 30.0
    assert (truth["onset"] >= 0).all() and (truth["onset"] + truth["duration"] <= duration_s).all()
    # Mostly 1-4 s.
    assert truth["duration"].between(1.0, 4.0).mean() > 0.6


def test_counts_as_asked(night):
    p = night.params
    assert p["n_plm_trains_placed"] == 6 and p["n_isolated_placed"] == 40
    assert p["n_fragments_placed"] == 60 and p["n_apneas_placed"] == 10
    assert night.truth["train_id"].nunique() == 7  # six trains and -1
    assert len(night.fragments) == 60 and len(night.respiratory) == 10


@pytest.mark.parametrize("fixture", ["night", "noisy"])
def test_lms_on_one_leg_are_at_least_1s_apart(fixture, request):
    truth = request.getfixturevalue(fixture).truth
    for _, leg in truth.groupby("side"):
        gap = leg["onset"].to_numpy()[1:] - (leg["onset"] + leg["duration"]).to_numpy()[:-1]
        assert gap.min() >= 1.0


@pytest.mark.parametrize("fixture", ["night", "noisy"])
def test_bilateral_pairs_are_unambiguous(fixture, request):
    sim = request.getfixturevalue(fixture)
    truth = sim.truth
    left = truth.loc[truth["side"] == "left", "onset"].to_numpy()
    right = truth.loc[truth["side"] == "right", "onset"].to_numpy()
    lag = np.abs(left[:, None] - right[None, :])
    # Onsets on the two legs are either a pair (< 0.5 s) or far apart (>= 10 s).
    assert not ((lag >= 0.5) & (lag < 10.0)).any()
    pairs = (lag < 0.5).sum()
    assert (lag < 0.5).sum(axis=1).max() <= 1 and (lag < 0.5).sum(axis=0).max() <= 1
    n_primary = len(truth) - pairs
    p = sim.params["bilateral_fraction"]
    assert pairs / n_primary == pytest.approx(p, abs=4 * np.sqrt(p * (1 - p) / n_primary))
    c = clms(truth)
    assert (c.loc[c["n"] == 2, "n_sides"] == 2).all()
    # The two LMs of a pair belong to the same train (or none).
    assert (truth.groupby(clms_key(truth))["train_id"].nunique() == 1).all()


def clms_key(truth: pd.DataFrame) -> np.ndarray:
    new = np.r_[True, np.diff(truth["onset"].to_numpy()) >= 0.5]
    return np.cumsum(new)


@pytest.mark.parametrize("fixture", ["night", "noisy"])
def test_trains_are_plm_series_and_nothing_else_is(fixture, request):
    c = clms(request.getfixturevalue(fixture).truth)
    for train_id, train in c[c["train_id"] >= 0].groupby("train_id"):
        imi = np.diff(train["onset"].to_numpy())
        assert 4 <= len(train) <= 40, train_id
        assert imi.min() >= 14.5 and imi.max() <= 40.5, train_id  # 15-40 s, +/- a pair's lag
    # Any CLM outside a train is > 90 s from every other CLM: it cannot join or form a series.
    onsets = c["onset"].to_numpy()
    gap_before = np.r_[np.inf, np.diff(onsets)]
    gap_after = np.r_[np.diff(onsets), np.inf]
    outside = (c["train_id"] < 0).to_numpy()
    assert (np.minimum(gap_before, gap_after)[outside] > 90.0).all()


def test_trains_start_in_light_sleep_and_isolated_lms_favour_wake(night):
    first = night.truth[night.truth["in_train"]].groupby("train_id").first()
    assert first["stage"].isin(["N1", "N2"]).mean() >= 0.5
    isolated = night.truth[~night.truth["in_train"] & ~night.truth["respiratory"]]
    wake_share = np.mean(night.hypnogram == "W")
    assert (isolated["stage"] == "W").mean() > wake_share


@pytest.mark.parametrize("fixture", ["night", "noisy"])
def test_stage_column_matches_hypnogram(fixture, request):
    sim = request.getfixturevalue(fixture)
    epoch = (sim.truth["onset"] // 30).astype(int)
    assert (sim.truth["stage"].to_numpy() == sim.hypnogram[epoch]).all()


def test_hypnogram_is_realistic(night):
    h = night.hypnogram
    assert len(h) == 960 and set(h) <= STAGES
    assert len(h) * 30 * night.sf == len(night.signals["Leg L"]) == len(night.signals["Leg R"])
    assert np.mean(h == "W") == pytest.approx(0.1, abs=0.005)
    assert h[0] == "W" and (h[:10] == "W").all()  # sleep-onset latency
    third = len(h) // 3
    assert np.mean(h[:third] == "N3") > np.mean(h[-third:] == "N3")
    assert np.mean(h[-third:] == "R") > np.mean(h[:third] == "R")
    sleep = h[h != "W"]
    for stage, (low, high) in {"N1": (0.02, 0.12), "N2": (0.4, 0.65), "N3": (0.1, 0.3),
                               "R": (0.15, 0.3)}.items():
        assert low <= np.mean(sleep == stage) <= high, stage
    wake_runs = np.diff(np.flatnonzero(np.diff(np.r_[0, h == "W", 0])))[::2]
    assert len(wake_runs) >= 5  # brief awakenings besides the latency


@pytest.mark.parametrize("wake_fraction", [0.0, 0.3])
def test_wake_fraction(wake_fraction):
    sim = simulate_night(duration_h=2.0, n_plm_trains=1, n_isolated=5,
                         wake_fraction=wake_fraction, seed=2)
    assert np.mean(sim.hypnogram == "W") == pytest.approx(wake_fraction, abs=0.01)


def test_respiratory_events_and_their_lms(night):
    resp, truth = night.respiratory, night.truth
    assert list(resp.columns) == ["onset", "duration", "description"]
    assert resp["duration"].between(10.0, 40.0).all()
    assert set(resp["description"]) <= {"Obstructive apnea", "Hypopnea"}
    ends = (resp["onset"] + resp["duration"]).to_numpy()
    for onset, end in zip(resp["onset"], ends, strict=True):
        epochs = night.hypnogram[int(onset // 30): int(end // 30) + 1]
        assert (epochs != "W").all()  # in sleep
    # WASM window: onset from 2 s before to 10.25 s after an event's end.
    d = truth["onset"].to_numpy()[:, None] - ends[None, :]
    in_window = ((d >= -2.0) & (d <= 10.25)).any(axis=1)
    assert (truth["respiratory"].to_numpy() == in_window).all()
    assert ((d >= -2.0) & (d <= 10.25)).any(axis=0).all()  # every event has its LM
    assert not truth.loc[truth["respiratory"], "in_train"].any()
    # An arousal at every event's end.
    a = night.arousals["onset"].to_numpy()
    assert (np.abs(a[:, None] - ends[None, :]) <= 2.0).any(axis=0).all()


@pytest.mark.parametrize("fixture", ["night", "noisy"])
def test_arousals(fixture, request):
    sim = request.getfixturevalue(fixture)
    a = sim.arousals
    assert list(a.columns) == ["onset", "duration", "description"]
    assert (a["description"] == "Arousal").all() and len(a) > 5
    assert a["duration"].between(3.0, 15.0).all()
    assert (a["onset"].to_numpy()[1:] - (a["onset"] + a["duration"]).to_numpy()[:-1] >= 10).all()
    assert (sim.hypnogram[(a["onset"] // 30).astype(int)] != "W").all()
    # Many follow an LM (start within 0.5 s of its onset).
    lm = sim.truth["onset"].to_numpy()
    linked = (np.abs(a["onset"].to_numpy()[:, None] - lm[None, :]) < 0.5).any(axis=1)
    assert linked.sum() >= 5


@pytest.mark.parametrize("fixture", ["night", "noisy"])
def test_fragments_are_short_and_clear_of_lms(fixture, request):
    sim = request.getfixturevalue(fixture)
    f = sim.fragments
    assert list(f.columns) == ["onset", "duration", "side"]
    assert f["duration"].between(0.09, 0.41).all() and (f["duration"] < 0.5).all()
    for side in ("left", "right"):
        busy = event_mask(len(sim.signals["Leg L"]), sim.sf, sim.truth, side, pad_s=1.0)
        frag = f[f["side"] == side]
        assert not busy[(frag["onset"] * sim.sf).astype(int)].any()


# -- the signal ------------------------------------------------------------------------------------
@pytest.mark.parametrize("fixture", ["night", "noisy"])
def test_rectified_background_is_near_noise_uv(fixture, request):
    sim = request.getfixturevalue(fixture)
    noise = sim.params["noise_uv"]
    for side, name in LEGS.items():
        x = sim.signals[name]
        busy = (event_mask(x.size, sim.sf, sim.truth, side, 1.0)
                | event_mask(x.size, sim.sf, sim.fragments, side, 1.0))
        rest = np.where(busy, np.nan, np.abs(x))
        # The ECG leak (20 µV spikes, ~1/s) adds a little to the noisy night.
        tol = 0.03 if sim.params["ecg_uv"] == 0 else 0.08
        assert np.nanmean(rest) == pytest.approx(noise, rel=tol)
        # The resting level drifts (by up to +/- 30%) across the night.
        level = np.nanmean(rest.reshape(-1, int(60 * sim.sf)), axis=1) / noise
        assert 0.15 < level.max() - level.min() < 0.6 + 2 * tol
        assert 0.7 - tol < level.min() and level.max() < 1.3 + tol


def _rest_level(env: np.ndarray, sf: float, onset: float, busy: np.ndarray) -> float:
    """The resting envelope within 30 s of an event, other events left out."""
    lo, hi = max(int((onset - 30) * sf), 0), int((onset + 30) * sf)
    return float(np.nanmedian(env[lo:hi][~busy[lo:hi]]))


def _busy(sim: SimulatedNight, side: str) -> np.ndarray:
    n = len(sim.signals["Leg L"])
    return (event_mask(n, sim.sf, sim.truth, side, 0.5)
            | event_mask(n, sim.sf, sim.fragments, side, 0.5))


@pytest.mark.parametrize("fixture", ["night", "noisy"])
def test_lm_bursts_exceed_rest_by_more_than_8uv(fixture, request):
    sim = request.getfixturevalue(fixture)
    for side, name in LEGS.items():
        env, busy = envelope(sim.signals[name], sim.sf, 0.1), _busy(sim, side)
        for lm in sim.truth[sim.truth["side"] == side].itertuples():
            rest = _rest_level(env, sim.sf, lm.onset, busy)
            inner = env[int((lm.onset + 0.15) * sim.sf): int((lm.onset + lm.duration - 0.15)
                                                             * sim.sf)]
            assert np.median(inner) > rest + 8.0, lm
            assert inner.max() > rest + 0.5 * lm.peak_amplitude_uv, lm


def test_each_lm_is_one_movement_under_the_offset_rule(night):
    """No stretch of >= 0.5 s at <= 2 µV above rest inside an LM; quiet right after it."""
    sf = night.sf
    quiet_run = int(0.5 * sf)
    for side, name in LEGS.items():
        env, busy = envelope(night.signals[name], sf, 0.25), _busy(night, side)
        for lm in night.truth[night.truth["side"] == side].itertuples():
            rest = _rest_level(env, sf, lm.onset, busy)
            start, stop = int(lm.onset * sf), int((lm.onset + lm.duration) * sf)
            quiet = env[start:stop] <= rest + 2.0
            runs = np.diff(np.flatnonzero(np.diff(np.r_[0, quiet.astype(int), 0])))[::2]
            assert runs.size == 0 or runs.max() < quiet_run, lm
            after = env[stop + int(0.2 * sf): stop + int(0.7 * sf)]
            assert np.median(after) <= rest + 2.0, lm


def test_fragments_are_bursts_too(night):
    for side, name in LEGS.items():
        env, busy = envelope(night.signals[name], night.sf, 0.05), _busy(night, side)
        for fr in night.fragments[night.fragments["side"] == side].itertuples():
            rest = _rest_level(env, night.sf, fr.onset, busy)
            burst = env[int(fr.onset * night.sf): int((fr.onset + fr.duration) * night.sf)]
            assert burst.max() > rest + 8.0, fr
            above = env[int((fr.onset - 0.5) * night.sf): int((fr.onset + 1.0) * night.sf)]
            assert (above > rest + 2.0).sum() / night.sf < 0.5, fr


def test_ecg_leak_and_mains_hum():
    quiet = {"duration_h": 0.5, "n_plm_trains": 0, "n_isolated": 0, "n_fragments": 0, "seed": 4}
    clean = simulate_night(**quiet)
    ecg = simulate_night(ecg_uv=50.0, **quiet).signals["Leg L"] - clean.signals["Leg L"]
    sf = clean.sf
    peaks = np.flatnonzero((ecg[1:-1] > 20) & (ecg[1:-1] >= ecg[:-2]) & (ecg[1:-1] > ecg[2:]))
    rate = len(peaks) / (ecg.size / sf) * 60
    assert 50 <= rate <= 80
    assert rate == pytest.approx(clean.params["heart_rate_bpm"], rel=0.05)
    assert 30 < ecg.max() <= 50.0 + 1e-9
    assert np.diff(peaks).std() / sf > 0.005  # some heart-rate variability
    assert np.mean(np.abs(ecg) > 1.0) < 0.03  # spikes, not a wave: ~10-20 ms per beat

    mains = simulate_night(mains_uv=3.0, **quiet).signals["Leg L"] - clean.signals["Leg L"]
    spectrum = np.abs(np.fft.rfft(mains))
    freqs = np.fft.rfftfreq(mains.size, 1 / sf)
    assert freqs[np.argmax(spectrum)] == pytest.approx(50.0, abs=0.01)
    assert np.abs(mains).max() == pytest.approx(3.0, rel=0.01)


# -- noise only ----------------------------------------------------------------------------------
def test_noise_only_has_no_events_and_the_same_background(night):
    quiet = simulate_noise_only(1.0, seed=9)
    assert quiet.truth.empty and list(quiet.truth.columns) == TRUTH_COLUMNS
    for attr in ("truth", "fragments", "respiratory", "arousals"):
        pd.testing.assert_series_equal(getattr(quiet, attr).dtypes, getattr(night, attr).dtypes)
    assert quiet.fragments.empty and list(quiet.fragments.columns) == ["onset", "duration", "side"]
    assert quiet.respiratory.empty and quiet.arousals.empty
    assert quiet.params["noise_uv"] == 7.5
    assert quiet.params["generator"].endswith("simulate_noise_only")
    for x in quiet.signals.values():
        assert np.abs(x).mean() == pytest.approx(7.5, rel=0.02)
    busy = simulate_night(duration_h=1.0, noise_uv=7.5, seed=9)
    left = busy.signals["Leg L"]
    mask = ~(event_mask(left.size, busy.sf, busy.truth, "left", 0.5)
             | event_mask(left.size, busy.sf, busy.fragments, "left", 0.5))
    np.testing.assert_array_equal(quiet.signals["Leg L"][mask], left[mask])
    ann = quiet.annotations(include_lms=True)
    assert ann["description"].str.startswith("Sleep stage ").all()


# -- annotations -----------------------------------------------------------------------------------
def test_annotations(night):
    ann = night.annotations()
    assert list(ann.columns) == ["onset", "duration", "description"]
    assert ann["onset"].is_monotonic_increasing
    stages = ann[ann["description"].str.startswith("Sleep stage ")]
    assert set(stages["description"]) <= {f"Sleep stage {s}" for s in STAGES}
    # Runs of equal epochs merged, tiling the night without gaps.
    assert (stages["description"].to_numpy()[1:] != stages["description"].to_numpy()[:-1]).all()
    np.testing.assert_allclose(stages["onset"].to_numpy()[1:],
                               (stages["onset"] + stages["duration"]).to_numpy()[:-1])
    assert stages["duration"].sum() == len(night.hypnogram) * 30
    expanded = np.repeat(stages["description"].str.removeprefix("Sleep stage ").to_numpy(),
                         (stages["duration"] // 30).astype(int))
    np.testing.assert_array_equal(expanded, night.hypnogram)
    counts = ann["description"].value_counts()
    assert counts.get("Arousal", 0) == len(night.arousals)
    n_resp = counts.get("Obstructive apnea", 0) + counts.get("Hypopnea", 0)
    assert n_resp == len(night.respiratory)
    assert not ann["description"].str.startswith("Limb movement").any()

    with_lms = night.annotations(include_lms=True)
    lms = with_lms[with_lms["description"].str.startswith("Limb movement")]
    assert len(lms) == len(night.truth) == len(with_lms) - len(ann)
    assert set(lms["description"]) == {"Limb movement - left", "Limb movement - right"}
    assert (lms["description"] == "Limb movement - left").sum() == (
        night.truth["side"] == "left").sum()


# -- inputs ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs, word", [
    ({"duration_h": 0}, "duration_h"), ({"sf": 50}, "sf"), ({"noise_uv": -1}, "noise_uv"),
    ({"n_plm_trains": -1}, "n_plm_trains"), ({"bilateral_fraction": 1.5}, "bilateral_fraction"),
    ({"wake_fraction": -0.1}, "wake_fraction"), ({"mains_hz": 200}, "mains_hz"),
])
def test_invalid_values_name_the_parameter(kwargs, word):
    with pytest.raises(ValueError, match=word):
        simulate_night(**kwargs)


def test_wrong_types_name_the_parameter():
    with pytest.raises(TypeError, match="n_isolated"):
        simulate_night(duration_h=0.5, n_isolated=2.5)


def test_a_night_too_short_for_the_events_places_what_fits(caplog):
    with caplog.at_level(logging.WARNING, logger="sleeptwitch"):
        sim = simulate_night(duration_h=0.5, n_isolated=100, n_plm_trains=2)
    assert 0 < sim.params["n_isolated_placed"] < 100
    assert "isolated" in caplog.text
    c = clms(sim.truth)
    assert len(c) == sim.params["n_isolated_placed"] + c[c["train_id"] >= 0].shape[0]


def test_repr_is_short(night):
    text = repr(night)
    assert text.startswith("SimulatedNight(8 h, 256 Hz") and len(text) < 200


def test_an_8h_night_simulates_in_seconds():
    t0 = time.perf_counter()
    simulate_night(seed=1)
    assert time.perf_counter() - t0 < 15.0


# -- EDF -------------------------------------------------------------------------------------------
def test_written_edf_reads_back(tmp_path):
    from sleeptwitch import io

    sim = simulate_night(duration_h=0.5, n_apneas=2, ecg_uv=10.0, seed=12)
    path = write_simulated_edf(sim, tmp_path / "night.edf", extra_channels=4,
                               include_lm_annotations=True)
    assert path.exists()
    rec = io.read_recording(path)
    assert list(rec.signals)[:2] == ["Leg L", "Leg R"]
    assert {"C3-M2", "ECG", "SpO2", "Chin"} <= set(rec.signals)
    assert len({s.sf for s in rec.signals.values()}) >= 4  # mixed sampling rates
    for name in ("Leg L", "Leg R"):
        got = rec.signals[name]
        assert got.sf == sim.sf and got.unit == "uV"
        step = 2 * np.abs(sim.signals[name]).max() / 65535
        np.testing.assert_allclose(got.data[: sim.signals[name].size], sim.signals[name],
                                   atol=2 * step)
    assert rec.signals["SpO2"].unit == "%"
    desc = rec.annotations["description"]
    assert (desc.str.startswith("Limb movement")).sum() == len(sim.truth)
    assert (desc == "Arousal").sum() == len(sim.arousals)
    assert desc.str.startswith("Sleep stage").sum() == (
        sim.annotations()["description"].str.startswith("Sleep stage").sum())
    # What a reader makes of the labels is the simulator's truth.
    hypno = io.hypnogram_from_annotations(rec.annotations, duration_s=rec.duration_s)
    np.testing.assert_array_equal(hypno, sim.hypnogram)
    lms = rec.annotations[rec.annotations["kind"] == "lm"]
    np.testing.assert_array_equal(lms["side"].to_numpy(), sim.truth["side"].to_numpy())
    np.testing.assert_allclose(lms["onset"].to_numpy(), sim.truth["onset"].to_numpy(), atol=1e-3)
    assert (rec.annotations["kind"] == "respiratory").sum() == len(sim.respiratory)

    plain = write_simulated_edf(sim, tmp_path / "plain.edf")
    assert set(io.read_recording(plain).signals) == {"Leg L", "Leg R"}
    with pytest.raises(ValueError, match="extra_channels"):
        write_simulated_edf(sim, tmp_path / "bad.edf", extra_channels=-1)
