"""LM detection on signals whose truth is known."""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
import pytest

from sleeptwitch.detect import LM_COLUMNS, _lm, detect_leg_movements

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


@pytest.mark.parametrize(("sf", "level", "seed"), [(256.0, 1.0, 0), (200.0, 4.0, 1),
                                                    (512.0, 2.0, 2), (100.0, 7.0, 3)])
def test_screening_finds_the_lms_of_the_full_envelope(sf, level, seed, monkeypatch):
    """Medians are skipped where no onset is possible; given the resting level, the LMs are
    those found with every block's median, whatever the bursts, tails, gaps, DC and drift."""
    rng = np.random.default_rng(seed)
    n = int(900 * sf)
    x = rng.normal(0, level / np.sqrt(2 / np.pi), n) + 30 + np.linspace(0, 40, n)
    for on in rng.uniform(0, 890, 25):
        a = int(on * sf)
        b = min(n, a + int(rng.choice([0.3, 0.7, 2.0, 12.0]) * sf))
        x[a:b] += rng.normal(0, rng.uniform(4, 60), b - a)
        c = min(n, b + int(8 * sf))
        x[b:c] += rng.normal(0, rng.uniform(1, 5), c - b)   # a weak tail: the offset comes late
    x[int(400 * sf):int(430 * sf)] = np.nan
    x[-int(3 * sf):] += rng.normal(0, 50, int(3 * sf))   # an LM running to the end
    screened = detect_leg_movements(x, sf)
    monkeypatch.setattr(_lm, "_find_lms", functools.partial(_lm._find_lms, screen=False))
    full = detect_leg_movements(x, sf)
    assert len(full.events) >= 10
    pd.testing.assert_frame_equal(screened.events, full.events)
    assert np.isfinite(screened.envelope).sum() < np.isfinite(full.envelope).sum()


@pytest.mark.parametrize("sf", [256.0, 200.0])   # odd and even block sizes
def test_envelope_is_the_median_rectified_emg_of_each_block(sf):
    x = add_burst(noise(120, seed=4), 40, 3.0)
    env = detect_leg_movements(x, sf).envelope
    n = int(round(0.05 * sf))
    blocks = x[:len(x) // n * n].reshape(-1, n)
    rectified = np.abs(blocks - blocks.mean(axis=1, keepdims=True))
    expected = np.sort(rectified, axis=1)[:, n // 2]   # the median, or the upper median
    done = np.isfinite(env)
    assert done[::_lm.REST_DECIMATION].all() and 0.25 <= done.mean() < 0.6
    np.testing.assert_allclose(env[done], expected[done], rtol=1e-5, atol=1e-5)


def test_median_bounds_are_upper_bounds():
    rng = np.random.default_rng(5)
    x = rng.normal(0, 3, int(600 * SF)) + rng.choice([0.0, -200.0, 1e4], int(600 * SF) // 13 * 13
                                                     + 13)[:int(600 * SF)]
    x[::97] += 300   # spikes
    x[:13 * 50] = 7.0   # constant blocks (median 0)
    x[13 * 50:13 * 100] = np.tile(np.r_[np.zeros(6), np.full(7, 5.0)], 50)   # median at the edge
    blocks, means, bounds, _ = _lm._first_pass(x, SF)
    exact = _lm._block_medians(blocks, means, np.arange(len(blocks)))
    assert (bounds >= exact).all()
