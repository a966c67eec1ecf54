"""LM detection on signals whose truth is known."""

from __future__ import annotations

import numpy as np
import pytest

from sleeptwitch.detect import LM_COLUMNS, detect_leg_movements

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
