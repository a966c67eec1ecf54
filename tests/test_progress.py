"""Progress reports of ``process_recording`` and the progress bar of ``sleeptwitch score``."""

from __future__ import annotations

import io

import pytest
from rich.console import Console
from typer.testing import CliRunner

from sleeptwitch.batch import ScoreConfig, process_recording
from sleeptwitch.cli import app
from sleeptwitch.simulate import simulate_night, write_simulated_edf

runner = CliRunner()


@pytest.fixture(scope="module")
def edf(tmp_path_factory):
    night = simulate_night(1.0, n_plm_trains=3, n_isolated=15, n_apneas=4, seed=7)
    return write_simulated_edf(night, tmp_path_factory.mktemp("rec") / "night.edf",
                               extra_channels=2, include_lm_annotations=True)


def _reports(edf, config):
    calls = []
    process_recording(edf, config, progress=lambda stage, done: calls.append((stage, done)))
    return calls


@pytest.mark.parametrize("config", [
    ScoreConfig(figure=False),
    ScoreConfig(lm_events="annotations", rules="aasm"),
], ids=["detected", "given-lms"])
def test_fractions_never_go_back_and_end_at_one(edf, config, tmp_path):
    calls = _reports(edf, config)
    done = [d for _, d in calls]
    assert done[0] == 0.0 and calls[-1] == ("done", 1.0)
    assert all(0.0 <= d <= 1.0 for d in done)
    assert done == sorted(done)
    assert [s for s, _ in calls].count("done") == 1


def test_every_stage_is_reported(edf, tmp_path):
    calls = _reports(edf, ScoreConfig(out_dir=tmp_path, figure=False))
    stages = [s for s, _ in calls]
    for stage in ("reading header and annotations", "sleep stages",
                  "reading legs and detecting leg movements (left and right)",
                  "leg movements found (left)", "leg movements found (right)", "scoring",
                  "writing outputs", "done"):
        assert stage in stages
    done = dict(calls)
    # the legs finish in either order; the bar moves on with each
    first, second = sorted((done["leg movements found (left)"],
                            done["leg movements found (right)"]))
    assert 0 < first < second == done["scoring"] < done["writing outputs"] < 1


def test_one_leg_after_the_other_is_reported_too(edf):
    calls = _reports(edf, ScoreConfig(figure=False, parallel_legs=False))
    done = dict(calls)
    assert 0 < done["reading leg and detecting leg movements (left)"] \
        < done["reading leg and detecting leg movements (right)"] < done["scoring"] < 1


def test_score_cli_draws_a_bar_with_percentage_on_a_terminal(edf, tmp_path, monkeypatch):
    screen = io.StringIO()
    monkeypatch.setattr("sleeptwitch.cli._app._console", lambda stderr=False: Console(
        file=screen, force_terminal=True, width=120))
    res = runner.invoke(app, ["score", str(edf), "--out", str(tmp_path), "--no-figure"])
    assert res.exit_code == 0, res.output
    assert "PLMS index" in res.output
    assert "100%" in screen.getvalue()


def test_score_cli_prints_no_bar_when_not_a_terminal(edf, tmp_path):
    res = runner.invoke(app, ["score", str(edf), "--out", str(tmp_path), "--no-figure"])
    assert res.exit_code == 0, res.output
    assert res.stdout.startswith("night.edf: PLMS index")
    assert "━" not in res.output and "starting" not in res.output
    assert not res.stderr.startswith("\n")
    assert (tmp_path / "summary.json").is_file()
