"""Named real-world scenarios of the simulator: truth consistency, each artefact where the truth
says it is, reproducibility, EDF round trip with 30-s records and mixed rates."""

import numpy as np
import pandas as pd
import pytest
from scipy import signal as sps

from sleeptwitch.simulate import (
    ARTEFACT_COLUMNS,
    SCENARIOS,
    simulate_night,
    simulate_scenario,
    unscorable_intervals,
    write_simulated_edf,
)

HOURS = 3.0
LONG = 5.0  # long enough for every kind of episode to find room
LEGS = {"left": "Leg L", "right": "Leg R"}
BURST_KINDS = {"efm": 0.15, "alma": 0.4, "hft": 0.4}


@pytest.fixture(scope="module")
def nights() -> dict:
    cache: dict = {}

    def get(name: str, hours: float = HOURS, seed: int = 4):
        key = (name, hours, seed)
        if key not in cache:
            cache[key] = simulate_scenario(name, hours, seed=seed)
        return cache[key]

    return get


def highpass(x: np.ndarray, sf: float, hz: float = 20.0) -> np.ndarray:
    sos = sps.butter(4, hz, btype="highpass", fs=sf, output="sos")
    return sps.sosfiltfilt(sos, x)


def segment(x: np.ndarray, sf: float, onset: float, duration: float) -> np.ndarray:
    return x[int(round(onset * sf)): int(round((onset + duration) * sf))]


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_every_scenario_simulates_with_a_consistent_truth(name, nights):
    night = nights(name, 2.0)
    assert night.params["scenario"] == name
    art = night.artefacts
    assert list(art.columns) == list(ARTEFACT_COLUMNS)
    duration_s = night.params["duration_s"]
    assert (art["duration"] > 0).all() and (art["onset"] >= 0).all()
    assert (art["onset"] + art["duration"] <= duration_s + 1e-6).all()
    assert set(art["side"]) <= {"left", "right"}
    for name_, x in night.signals.items():
        assert x.size == int(round(duration_s * night.sf_of(name_)))
        assert np.isfinite(x).all()
    # No true LM lies in an unscorable stretch of its own leg (2 s margin for movements).
    bad = art[art["unscorable"] & ~art["kind"].isin(["coarse", "noise"])]
    for _, a in bad.iterrows():
        lm = night.truth[night.truth["side"] == a["side"]]
        hit = ((lm["onset"] < a["onset"] + a["duration"] + 1.0)
               & (lm["onset"] + lm["duration"] > a["onset"] - 1.0))
        assert not hit.any(), (a, lm[hit])


def test_layers_leave_the_lm_truth_alone(nights):
    base = simulate_night(2.0, 256.0, n_apneas=10, seed=4)
    for name in ("wideband", "ecg_leak", "arousal_artefacts", "pops", "fragments", "sweat",
                 "mains", "clipping"):
        pd.testing.assert_frame_equal(nights(name, 2.0).truth, base.truth)


def test_same_seed_same_night_other_seed_other_night():
    a = simulate_scenario("realistic", 1.0, seed=3)
    b = simulate_scenario("realistic", 1.0, seed=3)
    c = simulate_scenario("realistic", 1.0, seed=5)
    for name in a.signals:
        np.testing.assert_array_equal(a.signals[name], b.signals[name])
    np.testing.assert_array_equal(a.other_signals["ECG"], b.other_signals["ECG"])
    pd.testing.assert_frame_equal(a.artefacts, b.artefacts)
    pd.testing.assert_frame_equal(a.truth, b.truth)
    assert not np.array_equal(a.signals["Leg L"], c.signals["Leg L"])


def test_unknown_scenario_names_the_choices():
    with pytest.raises(ValueError, match="Did you mean 'realistic'"):
        simulate_scenario("realistc")


def test_short_bursts_are_short_and_keep_rest_between_them(nights):
    night = nights("realistic")
    art = night.artefacts
    for kind, longest in BURST_KINDS.items():
        rows = art[art["kind"] == kind]
        assert len(rows), kind
        assert (rows["duration"] <= longest + 2 / night.sf).all(), kind
    # On each leg, every burst (short or LM) keeps >= 0.5 s of rest from the next one.
    for side in LEGS:
        bursts = pd.concat([art[(art["side"] == side) & art["kind"].isin(list(BURST_KINDS))],
                            night.truth[night.truth["side"] == side],
                            night.fragments[night.fragments["side"] == side]])
        b = bursts.sort_values("onset")
        gap = b["onset"].to_numpy()[1:] - (b["onset"] + b["duration"]).to_numpy()[:-1]
        assert gap.min() >= 0.5


def test_short_bursts_are_in_the_signal(nights):
    night = nights("realistic")
    for side, ch in LEGS.items():
        sf = night.sf_of(ch)
        env = np.abs(highpass(night.signals[ch], sf))
        rest = np.median(env)
        rows = night.artefacts[(night.artefacts["side"] == side)
                               & night.artefacts["kind"].isin(list(BURST_KINDS))]
        means = np.array([segment(env, sf, o, d).mean()
                          for o, d in zip(rows["onset"], rows["duration"], strict=True)])
        assert np.median(means) > rest + 8.0
        assert (means > rest + 2.0).mean() > 0.95


def test_hft_long_bursts_are_isolated_true_lms(nights):
    night = nights("alma_hft", LONG)
    episodes = [e for e in night.params["alma_hft_episodes"] if e["kind"] == "hft"]
    assert {e["lm"] for e in episodes} == {True, False}
    truth = night.truth
    for e in episodes:
        inside = truth[(truth["onset"] >= e["onset"] - 1e-6)
                       & (truth["onset"] <= e["onset"] + e["duration"])]
        if not e["lm"]:
            assert inside.empty
            continue
        assert len(inside) == e["n_bursts"]
        assert (inside["side"] == e["side"]).all() and not inside["in_train"].any()
        assert inside["duration"].between(0.5, 1.05).all()
        others = truth.drop(inside.index)["onset"].to_numpy()
        assert np.abs(others[:, None] - inside["onset"].to_numpy()[None, :]).min() > 90.0
        assert 0.3 <= e["rate_hz"] <= 4.0


def test_alma_alternates_between_the_legs(nights):
    night = nights("alma_hft", LONG)
    rows = night.artefacts[night.artefacts["kind"] == "alma"].sort_values("onset")
    for e in (e for e in night.params["alma_hft_episodes"] if e["kind"] == "alma"):
        ep = rows[rows["onset"].between(e["onset"] - 0.01, e["onset"] + e["duration"])]
        assert len(ep) >= 4
        sides = ep["side"].to_numpy()
        assert (sides[1:] != sides[:-1]).all()
        assert 0.5 <= e["rate_hz"] <= 3.0


def test_movement_artefacts_are_large_and_unscorable(nights):
    night = nights("arousal_artefacts", LONG)
    mv = night.artefacts[night.artefacts["kind"] == "movement"]
    assert len(mv) >= 5 and mv["unscorable"].all()
    assert mv["duration"].between(1.5, 20.0).all()
    for side, ch in LEGS.items():
        x, sf = night.signals[ch], night.sf
        rest = np.median(np.abs(x - np.median(x)))
        for o, d in zip(mv.loc[mv["side"] == side, "onset"], mv.loc[mv["side"] == side,
                                                                  "duration"], strict=True):
            seg = segment(x, sf, o, d)
            assert np.ptp(seg) > 200.0 and np.abs(highpass(seg, sf)).mean() > 10 * rest
    # Movement arousals in sleep are annotated as arousals.
    assert len(night.arousals) > len(nights("wideband", LONG).arousals)
    shifts = night.artefacts[night.artefacts["kind"] == "position_shift"]
    assert len(shifts) and not shifts["unscorable"].any()


def test_pops_are_steps_at_their_onsets(nights):
    night = nights("pops")
    quiet = nights("wideband")
    pops = night.artefacts[night.artefacts["kind"] == "pop"]
    assert len(pops) >= 10
    for side, ch in LEGS.items():
        diff = night.signals[ch] - quiet.signals[ch]
        sf = night.sf
        for o, amp in zip(pops.loc[pops["side"] == side, "onset"],
                          pops.loc[pops["side"] == side, "amplitude_uv"], strict=True):
            i = int(round(o * sf))
            jump = diff[i + 1] - diff[i - 2]
            assert np.sign(jump) == np.sign(amp) and abs(jump) > 0.5 * abs(amp)


def test_ecg_leak_follows_the_beats_at_10_to_50_uv(nights):
    night, quiet = nights("ecg_leak"), nights("wideband")
    beats = night.beats_s
    assert beats is not None and beats.size > 2 * 3600
    r = night.params["ecg_leak_r_uv"]
    for k, ch in enumerate(LEGS.values()):
        assert 10 <= abs(r[k]) <= 50
        leak = night.signals[ch] - quiet.signals[ch]
        idx = np.round(beats[10:-10] * night.sf).astype(int)
        peaks = np.abs(leak[idx[:, None] + np.arange(-2, 3)[None, :]]).max(axis=1)
        assert np.median(peaks) == pytest.approx(abs(r[k]), rel=0.3)
    ecg, sf = night.other_signals["ECG"], night.sf_of("ECG")
    assert sf == 500.0
    idx = np.round(beats[10:-10] * sf).astype(int)
    window = ecg[idx[:, None] + np.arange(-5, 6)[None, :]]
    assert (np.abs(window.argmax(axis=1) - 5) <= 2).mean() > 0.95


def test_mains_rails_sweat_coarse_and_white_noise(nights):
    mains = nights("mains", LONG)
    loose = mains.artefacts[mains.artefacts["kind"] == "mains"]
    assert len(loose) == 1 and loose["unscorable"].all()
    a = loose.iloc[0]
    seg = segment(mains.signals[LEGS[a["side"]]], mains.sf, a["onset"] + 5, a["duration"] - 10)
    sos = sps.butter(4, [45, 55], btype="bandpass", fs=mains.sf, output="sos")
    assert np.sqrt(2) * sps.sosfiltfilt(sos, seg).std() > 0.5 * a["amplitude_uv"]

    clip = nights("clipping")
    rails = clip.artefacts[clip.artefacts["kind"] == "railed"]
    assert len(rails) >= 1 and rails["unscorable"].all()
    for _, r in rails.iterrows():
        seg = segment(clip.signals[LEGS[r["side"]]], clip.sf, r["onset"], r["duration"])
        np.testing.assert_array_equal(seg, np.full(seg.size, r["amplitude_uv"] * 800.0))
    assert np.abs(clip.signals["Leg L"]).max() <= 800.0

    sweat, quiet = nights("sweat", LONG), nights("wideband", LONG)
    for _, s in sweat.artefacts[sweat.artefacts["kind"] == "sweat"].iterrows():
        ch = LEGS[s["side"]]
        extra = segment(sweat.signals[ch] - quiet.signals[ch], sweat.sf,
                        s["onset"] + 150, s["duration"] - 300)
        assert extra.std() > 0.3 * s["amplitude_uv"]

    coarse = nights("coarse_resolution")
    x = coarse.signals["Leg L"] / 31.25
    np.testing.assert_allclose(x, np.round(x), atol=1e-9)
    assert coarse.artefacts["unscorable"].all() and len(unscorable_intervals(coarse)) == 1

    white = nights("white_noise_30uv")
    assert white.truth.empty
    for x in white.signals.values():
        assert x.std() == pytest.approx(30.0, rel=0.02)


def test_edf_round_trip_with_30s_records_mixed_rates_and_fixed_range(tmp_path, nights):
    from sleeptwitch import io

    night = simulate_scenario("realistic_mixed", 1.0, seed=2)
    path = write_simulated_edf(night, tmp_path / "mixed.edf", extra_channels=3,
                               include_lm_annotations=True)
    header = io.read_header(path)
    assert header.record_duration_s == 30.0
    rec = io.read_recording(path)
    assert rec.signals["Leg L"].sf == 256.0 and rec.signals["Leg R"].sf == 500.0
    assert rec.signals["ECG"].sf == 512.0 and rec.signals["C3-M2"].sf == 128.0
    for ch in LEGS.values():
        got = rec.signals[ch]
        assert got.prefilter == "HP:0.3Hz"
        np.testing.assert_allclose(got.data[: night.signals[ch].size], night.signals[ch],
                                   atol=1e-6)
    ecg = night.other_signals["ECG"]
    step = 2 * np.abs(ecg).max() / 65535
    np.testing.assert_allclose(rec.signals["ECG"].data[: ecg.size], ecg, atol=2 * step)
    lms = rec.annotations[rec.annotations["kind"] == "lm"]
    np.testing.assert_allclose(np.sort(lms["onset"].to_numpy()),
                               np.sort(night.truth["onset"].to_numpy()), atol=1e-3)
    assert (rec.annotations["description"] == "Arousal").sum() == len(night.arousals)

    clip = nights("clipping")
    path = write_simulated_edf(clip, tmp_path / "clip.edf")
    rec = io.read_recording(path)
    railed = clip.artefacts[clip.artefacts["kind"] == "railed"].iloc[0]
    got = segment(rec.signals[LEGS[railed["side"]]].data, clip.sf, railed["onset"],
                  railed["duration"])
    assert np.all(np.abs(got) == 800.0)  # the digital limit: +/- 32000 steps of 0.025 uV

    coarse = nights("coarse_resolution")
    path = write_simulated_edf(coarse, tmp_path / "coarse.edf")
    x = io.read_recording(path).signals["Leg R"].data / 31.25
    np.testing.assert_allclose(x, np.round(x), atol=1e-6)
    assert len(np.unique(x[:256 * 60])) < 60
