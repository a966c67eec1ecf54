"""LM detection on signals whose truth is known."""

from __future__ import annotations

import numpy as np
import pytest

from sleeptwitch.detect import LM_COLUMNS, detect_leg_movements
from sleeptwitch.detect._filter import bandpass

SF = 256.0


def noise(seconds, level_uv=5.0, seed=0):
    """Gaussian EMG-like noise whose rectified mean is ``level_uv`` (sigma * sqrt(2/pi))."""
    rng = np.random.default_rng(seed)
    return rng.normal(0, level_uv / np.sqrt(2 / np.pi), int(seconds * SF))


def add_burst(x, onset, duration, amp_uv=40.0, seed=1):
    rng = np.random.default_rng(seed)
    a, b = int(onset * SF), int((onset + duration) * SF)
    x[a:b] += rng.normal(0, amp_uv / np.sqrt(2 / np.pi), b - a)
    return x


def test_bursts_are_found_with_accurate_onsets_and_durations():
    x = noise(600)
    truth = [(60.0, 2.0), (120.0, 0.8), (200.0, 6.0), (300.0, 1.2)]
    for i, (on, dur) in enumerate(truth):
        add_burst(x, on, dur, seed=i)
    ev = detect_leg_movements(x, SF, side="right").events
    assert len(ev) == len(truth)
    assert np.all(np.abs(ev["onset"].to_numpy() - [t[0] for t in truth]) < 0.25)
    assert np.all(np.abs(ev["duration"].to_numpy() - [t[1] for t in truth]) < 0.4)
    assert set(ev["side"]) == {"right"} and set(ev["type"]) == {"lm"}
    assert (ev["peak_amplitude_uv"] > 8).all()


def test_short_fragments_are_not_lms():
    x = noise(120)
    for i, on in enumerate((20, 40, 60)):
        add_burst(x, on, 0.3, amp_uv=60, seed=i)
    assert detect_leg_movements(x, SF).events.empty


def test_weak_bursts_below_threshold_are_not_lms():
    x = add_burst(noise(120), 50, 2.0, amp_uv=2.0)
    assert detect_leg_movements(x, SF).events.empty


@pytest.mark.parametrize("level", [5.0, 7.5, 10.0])
def test_pure_noise_gives_almost_no_false_lms(level):
    hours = 1.0
    ev = detect_leg_movements(noise(hours * 3600, level, seed=int(level)), SF).events
    assert len(ev) / hours <= 1


def test_ecg_leak_is_not_taken_for_lms():
    x = noise(600, 5.0)
    beats = np.arange(0, len(x), int(SF * 0.85))
    width = int(0.015 * SF)
    for k in range(width):
        x[np.minimum(beats + k, len(x) - 1)] += 80 * np.sin(np.pi * k / width)
    add_burst(x, 300, 2.0)
    ev = detect_leg_movements(x, SF).events
    assert len(ev) == 1 and abs(ev["onset"].iloc[0] - 300) < 0.25


def test_rest_level_follows_a_slow_change_of_background():
    x = noise(1200, 4.0)
    x *= np.linspace(1.0, 2.5, len(x))   # background rises slowly from 4 to 10 uV
    add_burst(x, 300, 2.0, amp_uv=40)
    add_burst(x, 900, 2.0, amp_uv=40, seed=3)
    ev = detect_leg_movements(x, SF).events
    assert sorted(np.round(ev["onset"]).astype(int)) == [300, 900]


def test_missing_samples_do_not_make_lms():
    x = add_burst(noise(300), 100, 2.0)
    x[int(150 * SF): int(200 * SF)] = np.nan
    ev = detect_leg_movements(x, SF).events
    assert len(ev) == 1


def test_flat_channel_is_a_warning_not_a_crash():
    res = detect_leg_movements(np.zeros(int(60 * SF)), SF)
    assert res.events.empty and list(res.events.columns) == LM_COLUMNS
    assert "flat" in res.warnings[0]


def test_signal_in_volts_is_flagged():
    res = detect_leg_movements(noise(60) * 1e-6, SF)
    assert any("volts rather than microvolts" in w for w in res.warnings)


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="allowed are 'left', 'right'"):
        detect_leg_movements(noise(10), SF, side="both")
    with pytest.raises(ValueError, match="too low for EMG"):
        detect_leg_movements(noise(10), 10.0)
    with pytest.raises(ValueError, match="Did you mean 'wasm2016'"):
        detect_leg_movements(noise(10), SF, rules="wasm")


def test_start_offset_is_added():
    x = add_burst(noise(120), 30, 2.0)
    ev = detect_leg_movements(x, SF, start_s=1000.0).events
    assert abs(ev["onset"].iloc[0] - 1030) < 0.25


def test_envelope_is_the_mean_rectified_band_passed_emg():
    x = add_burst(noise(120, seed=4), 40, 3.0) + 200 + np.linspace(0, 500, int(120 * SF))
    res = detect_leg_movements(x, SF)
    k = int(round(SF / res.env_sf))
    y = np.abs(bandpass(x, SF))
    expected = y[:len(res.envelope) * k].reshape(-1, k).mean(axis=1)
    np.testing.assert_allclose(res.envelope[50:-50], expected[50:-50], rtol=1e-3, atol=1e-3)
    assert res.params["emg_highpass_hz"] < 12 and res.params["emg_lowpass_hz"] <= 0.45 * SF


@pytest.mark.parametrize("amp_uv", [25.0, 60.0, 150.0])
def test_bursts_up_to_0_4_s_are_never_lms(amp_uv):
    rng = np.random.default_rng(int(amp_uv))
    x = noise(600, 2.0, seed=7)
    for i, on in enumerate(np.arange(10, 590, 5.0)):
        add_burst(x, on + rng.uniform(0, 1), rng.uniform(0.1, 0.4), amp_uv=amp_uv, seed=i)
    ev = detect_leg_movements(x, SF).events
    assert ev.empty, ev


def test_wideband_drift_and_slow_artefacts_do_not_make_lms():
    x = noise(600, 2.0)
    t = np.arange(len(x)) / SF
    x += 300 * np.sin(2 * np.pi * 0.3 * t) + 80 * np.sin(2 * np.pi * 2.0 * t)
    add_burst(x, 300, 2.0)
    ev = detect_leg_movements(x, SF).events
    assert len(ev) == 1 and abs(ev["onset"].iloc[0] - 300) < 0.1
    assert abs(ev["duration"].iloc[0] - 2.0) < 0.15


def _beats(x, seconds_apart=0.85, amp=60.0, width_s=0.015, offset=0.3):
    beats = np.arange(offset * SF, len(x) - SF, seconds_apart * SF).astype(int)
    width = int(width_s * SF)
    for k in range(width):
        x[beats + k] += amp * np.sin(np.pi * k / width)
    return beats


def test_heartbeat_does_not_restart_the_offset_clock():
    x = noise(600, 2.0)
    add_burst(x, 300.0, 2.0)
    clean = detect_leg_movements(x, SF).events
    _beats(x, amp=60.0)
    ev = detect_leg_movements(x, SF).events
    assert len(ev) == 1
    assert abs(ev["duration"].iloc[0] - clean["duration"].iloc[0]) < 0.1


def test_ecg_template_is_subtracted_with_r_peaks():
    x = noise(600, 2.0)
    add_burst(x, 300.0, 2.0)
    beats = _beats(x, amp=200.0, width_s=0.03)
    with_beats = detect_leg_movements(x, SF, beats=beats / SF)
    assert with_beats.params["ecg_template_removed"]
    ev = with_beats.events
    assert len(ev) == 1 and abs(ev["onset"].iloc[0] - 300) < 0.15
    # the resting level is back near that of the EMG alone
    assert np.nanmedian(with_beats.rest_level) < 2.5


def test_coarse_digital_step_is_unscorable():
    x = np.round(add_burst(noise(300, 5.0), 100, 2.0) / 31.25) * 31.25
    res = detect_leg_movements(x, SF)
    assert res.events.empty
    assert res.unscorable_s == pytest.approx(300, abs=1)
    assert any("digital step" in w and "31.2" in w for w in res.warnings)


def test_white_noise_30_uv_is_unscorable_with_a_warning():
    x = np.random.default_rng(3).normal(0, 30, int(600 * SF))
    res = detect_leg_movements(x, SF)
    assert res.events.empty
    assert res.unscorable_s > 590
    assert any("resting EMG too high" in w for w in res.warnings)


def test_mains_flat_and_railed_stretches_are_unscorable():
    x = add_burst(noise(600, 2.0), 30, 2.0)
    t = np.arange(len(x)) / SF
    x[int(120 * SF):int(240 * SF)] += 40 * np.sin(2 * np.pi * 50 * t[:int(120 * SF)])
    x[int(300 * SF):int(360 * SF)] = 0.0
    x[int(420 * SF):int(480 * SF)] = 3200.0
    res = detect_leg_movements(x, SF)
    got = res.unscorable.groupby("reason")["duration"].sum().to_dict()
    assert got == {"mains": 120.0, "flat": 60.0, "railed": 60.0}
    assert len(res.events) == 1 and res.summary()["unscorable_min"] == 4.0


def test_low_rate_is_a_warning():
    x = add_burst(noise(120), 30, 2.0)[::2]
    res = detect_leg_movements(x, SF / 2)
    assert any("below the 200 Hz" in w for w in res.warnings)
