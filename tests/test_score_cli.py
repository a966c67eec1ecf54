"""`sleeptwitch score` and `compare` on real EDF+ files written by the simulator."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from sleeptwitch.cli import app
from sleeptwitch.io import Signal, read_recording, write_edf
from sleeptwitch.simulate import simulate_night, write_simulated_edf

runner = CliRunner()


@pytest.fixture(scope="module")
def night():
    return simulate_night(1.0, n_plm_trains=3, n_isolated=15, n_apneas=4, seed=5)


@pytest.fixture(scope="module")
def edf(night, tmp_path_factory):
    return write_simulated_edf(night, tmp_path_factory.mktemp("rec") / "night.edf",
                               extra_channels=3, include_lm_annotations=True)


def test_score_writes_every_output(edf, tmp_path):
    res = runner.invoke(app, ["score", str(edf), "--out", str(tmp_path)])
    assert res.exit_code == 0, res.output
    assert "PLMS index" in res.output
    events = pd.read_csv(tmp_path / "events.tsv", sep="\t")
    assert list(events.columns[:4]) == ["onset", "duration", "type", "side"]
    assert {"lm", "clm"} <= set(events["type"])
    summary = json.loads((tmp_path / "summary.json").read_text())
    for key in ("lm_index", "clm_index", "plms_index", "plmw_index", "plms_nr_index",
                "periodicity_index", "total_sleep_time_h", "rules", "sleeptwitch_version"):
        assert key in summary
    assert summary["hypnogram_source"] == "annotations"
    hist = pd.read_csv(tmp_path / "imi_histogram.tsv", sep="\t")
    assert list(hist.columns) == ["imi_from_s", "imi_to_s", "count"] and hist["count"].sum() > 0
    png = tmp_path / "leg_movements.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # the annotation file opens as EDF+ and holds the LMs
    ann = read_recording(tmp_path / "night_leg_movements.edf").annotations
    assert (ann["kind"] == "lm").sum() == (events["type"] == "lm").sum()


def test_scores_agree_with_truth(edf, night, tmp_path):
    runner.invoke(app, ["score", str(edf), "--out", str(tmp_path / "det")])
    truth = night.truth.assign(type="lm")
    truth.to_csv(tmp_path / "truth.tsv", sep="\t", index=False)
    res = runner.invoke(app, ["compare", str(tmp_path / "det"), str(tmp_path / "truth.tsv"),
                              "--format", "json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["events"]["f1"] >= 0.95


def test_score_from_given_lm_annotations_and_aasm(edf, tmp_path):
    res = runner.invoke(app, ["score", str(edf), "--out", str(tmp_path), "--rules", "aasm",
                              "--lm-events", "annotations", "--no-figure"])
    assert res.exit_code == 0, res.output
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["rules"] == "aasm" and summary["lm_source"] == "annotations"


def test_scored_lms_without_a_duration_are_a_clear_error(edf, tmp_path):
    events = tmp_path / "expert.tsv"
    events.write_text("onset\tduration\ttype\tside\n100\t2\tlm\tleft\n"
                      "120\tn/a\tlm\tleft\n140\t2\tlm\tright\n")
    res = runner.invoke(app, ["score", str(edf), "--out", str(tmp_path / "o"),
                              "--lm-events", str(events), "--no-figure"])
    assert res.exit_code == 2
    assert "LM duration must be a number of seconds (0 or more); row 1 has nan" in res.output
    assert not (tmp_path / "o").exists()


def test_separate_hypnogram_file(edf, night, tmp_path):
    hyp = tmp_path / "hyp.tsv"
    hyp.write_text("stage\n" + "\n".join(night.hypnogram) + "\n")
    res = runner.invoke(app, ["score", str(edf), "--out", str(tmp_path / "o"),
                              "--hypnogram", str(hyp), "--no-figure"])
    assert res.exit_code == 0, res.output
    summary = json.loads((tmp_path / "o" / "summary.json").read_text())
    assert summary["hypnogram_source"] == "file" and summary["hypnogram_file"] == str(hyp)


def _write(path, signals, annotations=None):
    return write_edf(path, signals, annotations=annotations)


def test_no_leg_channel_is_a_clear_error(tmp_path):
    x = np.random.default_rng(0).normal(0, 5, 256 * 60)
    path = _write(tmp_path / "eeg.edf", [Signal("C3-M2", x, 256.0, "uV")])
    res = runner.invoke(app, ["score", str(path), "--out", str(tmp_path / "o")])
    assert res.exit_code == 2
    assert "C3-M2" in res.output and "--left" in res.output


def test_explicit_channels_are_used(tmp_path):
    x = np.random.default_rng(0).normal(0, 5, 256 * 120)
    path = _write(tmp_path / "odd.edf", [Signal("EMG1", x, 256.0, "uV"),
                                         Signal("EMG2", x.copy(), 256.0, "uV")])
    res = runner.invoke(app, ["score", str(path), "--out", str(tmp_path / "o"), "--left", "EMG1",
                              "--right", "EMG2", "--no-figure"])
    assert res.exit_code == 0, res.output
    assert "no sleep staging" in res.output


def test_truncated_file_scores_what_is_there_and_warns(edf, tmp_path):
    data = edf.read_bytes()
    cut = tmp_path / "cut.edf"
    cut.write_bytes(data[: len(data) * 2 // 3])
    res = runner.invoke(app, ["score", str(cut), "--out", str(tmp_path / "o"), "--no-figure"])
    assert res.exit_code == 0, res.output
    summary = json.loads((tmp_path / "o" / "summary.json").read_text())
    assert any("truncated" in w.lower() or "complete" in w.lower() for w in summary["warnings"])


def test_garbage_file_is_a_clear_error(tmp_path):
    bad = tmp_path / "bad.edf"
    bad.write_bytes(b"this is not an EDF file" * 20)
    res = runner.invoke(app, ["score", str(bad), "--out", str(tmp_path / "o")])
    assert res.exit_code == 2 and "Error" in res.output


def test_flat_and_volt_scaled_channels_warn(tmp_path):
    rng = np.random.default_rng(1)
    flat = np.zeros(256 * 120)
    volts = rng.normal(0, 5e-6, 256 * 120)   # a signal in V mislabelled as uV
    path = _write(tmp_path / "bad_legs.edf", [Signal("Leg L", flat, 256.0, "uV"),
                                              Signal("Leg R", volts, 256.0, "uV")])
    res = runner.invoke(app, ["score", str(path), "--out", str(tmp_path / "o"), "--no-figure"])
    assert res.exit_code == 0, res.output
    warnings = json.loads((tmp_path / "o" / "summary.json").read_text())["warnings"]
    assert any("flat" in w for w in warnings)
    assert any("volts rather than microvolts" in w for w in warnings)


def test_nan_samples_are_not_lms(tmp_path):
    rng = np.random.default_rng(2)
    x = rng.normal(0, 3, 256 * 600)
    x[256 * 100: 256 * 200] = np.nan
    path = _write(tmp_path / "nan.edf", [Signal("Leg L", x, 256.0, "uV"),
                                         Signal("Leg R", rng.normal(0, 3, x.size), 256.0, "uV")])
    res = runner.invoke(app, ["score", str(path), "--out", str(tmp_path / "o"), "--no-figure"])
    assert res.exit_code == 0, res.output
    assert json.loads((tmp_path / "o" / "summary.json").read_text())["n_lm"] == 0


def test_bad_rules_name_is_refused(edf, tmp_path):
    res = runner.invoke(app, ["score", str(edf), "--out", str(tmp_path), "--rules", "wasm"])
    assert res.exit_code != 0 and "wasm2016" in res.output


def test_plms_index_can_feed_an_assessment(edf, tmp_path):
    runner.invoke(app, ["score", str(edf), "--out", str(tmp_path), "--no-figure"])
    summary = json.loads((tmp_path / "summary.json").read_text())
    intake = tmp_path / "intake.json"
    intake.write_text(json.dumps({"age_years": 50, "timing": ["asleep"], "pattern": "rhythmic",
                                  "events_per_hour": summary["plms_index"],
                                  "workup": {"plms_index": summary["plms_index"]}}))
    res = runner.invoke(app, ["assess", "--answers", str(intake), "--format", "json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert out["intake"]["events_per_hour"] == summary["plms_index"]


def test_events_tsv_rounds_times_to_the_sample_and_writes_n_a(edf, tmp_path):
    res = runner.invoke(app, ["score", str(edf), "--out", str(tmp_path), "--no-figure"])
    assert res.exit_code == 0, res.output
    text = (tmp_path / "events.tsv").read_text()
    events = pd.read_csv(tmp_path / "events.tsv", sep="\t", na_values=["n/a"],
                         keep_default_na=False)
    ticks = events["onset"].to_numpy() * 256
    assert np.allclose(ticks, np.round(ticks), atol=1e-3)
    assert "n/a" in text and "nan" not in text.lower().split()
    assert events["series_id"].dropna().ge(0).all()
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["emg_highpass_hz"] < 12 and summary["emg_lowpass_hz"] == 100.0
    assert summary["left_unscorable_min"] == 0.0 and summary["unscorable_share"] == 0.0


def test_same_channel_for_both_legs_and_white_noise_warn(tmp_path):
    rng = np.random.default_rng(4)
    x = rng.normal(0, 30, 256 * 600)
    path = _write(tmp_path / "noise.edf", [Signal("Leg L", x, 256.0, "uV")])
    res = runner.invoke(app, ["score", str(path), "--out", str(tmp_path / "o"), "--left",
                              "Leg L", "--right", "Leg L", "--no-figure"])
    assert res.exit_code == 0, res.output
    summary = json.loads((tmp_path / "o" / "summary.json").read_text())
    assert summary["plms_index"] is None and summary["n_lm"] == 0
    assert any("same channel" in w for w in summary["warnings"])
    assert any("resting EMG too high" in w for w in summary["warnings"])


def test_score_says_why_no_index_is_given(tmp_path):
    rng = np.random.default_rng(6)
    x = rng.normal(0, 30, 256 * 600)   # stationary 30-uV noise: nothing can be scored
    path = _write(tmp_path / "noise.edf", [Signal("Leg L", x, 256.0, "uV"),
                                            Signal("Leg R", x[::-1].copy(), 256.0, "uV")])
    res = runner.invoke(app, ["score", str(path), "--out", str(tmp_path / "o"), "--no-figure"])
    assert res.exit_code == 0, res.output
    assert "None/h" not in res.output
    assert "no PLMS index given: no part of the leg channels could be scored" in res.output
