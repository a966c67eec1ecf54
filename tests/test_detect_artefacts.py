"""Movement and electrode artefacts, known heartbeats and stationary noise on a leg channel."""

from __future__ import annotations

import numpy as np

from sleeptwitch.detect import detect_leg_movements
from sleeptwitch.detect._ecg import bridge_beats

SF = 256.0


def rest(seconds, level_uv=2.0, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(0, level_uv / np.sqrt(2 / np.pi), int(seconds * SF))


def burst(x, onset, duration, amp_uv, seed=1):
    rng = np.random.default_rng(seed)
    a, b = int(onset * SF), int((onset + duration) * SF)
    x[a:b] += rng.normal(0, amp_uv / np.sqrt(2 / np.pi), b - a)
    return x


def swing(x, onset, duration, peak_uv, hz=0.8):
    """A slow Hann-windowed swing (electrodes sliding on the skin)."""
    a, b = int(onset * SF), int((onset + duration) * SF)
    t = np.arange(b - a) / SF
    x[a:b] += peak_uv * np.hanning(b - a) * np.sin(2 * np.pi * hz * t + 0.3)
    return x


def test_movement_artefact_is_not_an_lm_and_is_unscorable():
    x = rest(600)
    burst(x, 100, 5.0, 200)          # strong broadband activity...
    swing(x, 100, 5.0, 1200)          # ...on a large slow swing: the leg/cable moved
    burst(x, 300, 2.0, 40, seed=2)   # an ordinary LM
    found = detect_leg_movements(x, SF)
    assert np.round(found.events["onset"]).tolist() == [300]
    art = found.unscorable[found.unscorable["reason"] == "artefact"]
    assert len(art) == 1
    assert art["onset"].iloc[0] <= 100 and art["onset"].iloc[0] + art["duration"].iloc[0] >= 105
    assert any("artefact" in w for w in found.warnings)


def test_lm_riding_on_a_position_shift_keeps_its_onset_and_duration():
    x = rest(600)
    burst(x, 200, 1.5, 50)
    swing(x, 200.3, 4.0, 500, hz=0.6)   # slow only: a position change under the LM
    ev = detect_leg_movements(x, SF).events
    assert len(ev) == 1
    assert abs(ev["onset"].iloc[0] - 200) < 0.1
    assert abs(ev["duration"].iloc[0] - 1.5) < 0.15


def test_electrode_pop_is_not_an_lm():
    x = rest(300)
    a = int(150 * SF)
    x[a:] += 800 * np.exp(-np.arange(len(x) - a) / (0.1 * SF))   # step, decaying in 0.1 s
    assert detect_leg_movements(x, SF).events.empty


def test_a_known_heartbeat_just_after_a_short_burst_does_not_make_an_lm():
    x = rest(300)
    beats = np.arange(1.0, 299.0, 0.9)
    width = int(0.02 * SF)
    for t in beats:   # a 20-ms QRS of 40 uV on the leg lead
        a = int(t * SF)
        x[a:a + width] += 40 * np.sin(np.pi * np.arange(width) / width)
    on = beats[100] - 0.35               # a 0.3-s fragment ending 50 ms before a beat
    burst(x, on, 0.3, 80)
    assert detect_leg_movements(x, SF, beats=beats).events.empty
    burst(x, 200.0, 1.0, 40, seed=3)     # a real LM is still found, with its onset
    ev = detect_leg_movements(x, SF, beats=beats).events
    assert len(ev) == 1 and abs(ev["onset"].iloc[0] - 200) < 0.15


def test_bridge_beats_draws_a_line_over_the_beat_blocks():
    env = np.array([1.0, 1.0, 9.0, 9.0, 3.0, 3.0])
    out = bridge_beats(env, 10.0, np.array([0.25]))   # blocks 2..3 (0.21-0.31 s)
    assert out[[0, 1, 4, 5]].tolist() == [1.0, 1.0, 3.0, 3.0]
    assert np.allclose(out[2:4], [1 + 2 / 3, 1 + 4 / 3])
    assert env[2] == 9.0   # the input is left alone


def test_stationary_noise_too_high_for_the_rules_is_unscorable():
    rng = np.random.default_rng(5)
    x = rng.normal(0, 30.0, int(1800 * SF))   # 30 uV rms white noise: no EMG to score
    found = detect_leg_movements(x, SF)
    assert found.events.empty
    assert set(found.unscorable["reason"]) == {"noise"}
    assert found.unscorable_s >= 0.99 * 1800
    assert any("noise" in w for w in found.warnings)
