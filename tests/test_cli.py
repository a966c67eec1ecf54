"""The command line as a user would try it: real files, real exit codes, real output."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from sleeptwitch.cli import app

runner = CliRunner()

INFANT = {"age_months": 4, "audience": "parent", "timing": ["asleep"], "stops_when_woken": True,
          "body_parts": ["feet"], "pattern": "random_twitches"}


@pytest.fixture()
def infant_file(tmp_path):
    path = tmp_path / "infant.json"
    path.write_text(json.dumps(INFANT))
    return path


def test_assess_json_has_the_design_shape(infant_file):
    res = runner.invoke(app, ["assess", "--answers", str(infant_file), "--format", "json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    for key in ("triage", "conditions", "red_flags", "advice", "avoid", "citations",
                "next_questions", "knowledge_version", "trace"):
        assert key in out
    assert out["triage"] in ("reassure_self_care", "routine_visit", "prompt_evaluation", "urgent")
    for c in out["conditions"]:
        assert {"id", "name", "likelihood", "reasons"} <= set(c)
    for c in out["citations"]:
        assert {"id", "title", "source", "status"} <= set(c)


def test_assess_reads_yaml_and_text_output(tmp_path):
    path = tmp_path / "adult.yaml"
    path.write_text("age_years: 34\ntiming: [falling_asleep]\npattern: single_jerk\n")
    res = runner.invoke(app, ["assess", "--answers", str(path)])
    assert res.exit_code == 0, res.output
    assert "REASSURE SELF CARE" in res.output
    assert "Sources" in res.output


def test_audience_option_overrides_the_intake(infant_file):
    res = runner.invoke(app, ["assess", "-a", str(infant_file), "-f", "json",
                              "--audience", "clinician"])
    assert json.loads(res.output)["audience"] == "clinician"


@pytest.mark.parametrize(("content", "needle"), [
    ('{"age_months": 4, "stops_when_woke": true}',
     "got 'stops_when_woke'. Did you mean 'stops_when_woken'?"),
    ('{"age_months": 4, "timing": ["sleeping"]}', "allowed are 'falling_asleep'"),
    ('{"age_years": 400}', "age_years"),
    ('{"timing": ["asleep"]}', "exactly one of 'age_months' or 'age_years'"),
    ("{not json", "not valid JSON or YAML"),
    ("[1, 2]", "must be a mapping"),
])
def test_bad_answers_exit_non_zero_naming_the_problem(tmp_path, content, needle):
    path = tmp_path / "bad.json"
    path.write_text(content)
    res = runner.invoke(app, ["assess", "--answers", str(path), "--format", "json"])
    assert res.exit_code == 2
    assert needle in res.output


def test_missing_file_is_a_clear_error(tmp_path):
    res = runner.invoke(app, ["assess", "--answers", str(tmp_path / "nope.json")])
    assert res.exit_code == 2
    assert "does not exist" in res.output


def test_unreadable_binary_file_is_a_clear_error(tmp_path):
    path = tmp_path / "bin.yaml"
    path.write_bytes(b"\xff\xfe\x00\x01garbage")
    res = runner.invoke(app, ["assess", "--answers", str(path)])
    assert res.exit_code == 2
    assert "UTF-8" in res.output


def test_schema_intake_is_json_schema():
    res = runner.invoke(app, ["schema", "intake"])
    assert res.exit_code == 0
    schema = json.loads(res.output)
    assert schema["additionalProperties"] is False
    assert "timing" in schema["properties"] and "age_months" in schema["properties"]


def test_conditions_list_and_show():
    res = runner.invoke(app, ["conditions", "--format", "json"])
    assert res.exit_code == 0
    ids = [c["id"] for c in json.loads(res.output)]
    assert "hypnic_jerks" in ids
    res = runner.invoke(app, ["conditions", "hypnic_jerks"])
    assert res.exit_code == 0 and "Sources" in res.output
    res = runner.invoke(app, ["conditions", "hypnic_jerk"])
    assert res.exit_code == 2 and "Did you mean 'hypnic_jerks'?" in res.output


def test_knowledge_check_command():
    res = runner.invoke(app, ["knowledge"])
    assert "problem(s)" in res.output


def test_demo_writes_intakes_and_assessments(tmp_path):
    res = runner.invoke(app, ["demo", "--out", str(tmp_path / "demo")])
    assert res.exit_code == 0, res.output
    files = sorted(p.name for p in (tmp_path / "demo").iterdir())
    assert "infant_foot_twitching.assessment.json" in files


def test_interactive_interview_asks_and_assesses(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    # audience 2 = patient; age; then answers to the questions in the order asked. Every
    # further question is answered "?" (don't know), which must never be read as "no".
    answers = ["2", "34 years", "1", "?", "2", "1"] + ["?"] * 60
    res = runner.invoke(app, ["assess"], input="\n".join(answers) + "\n")
    assert res.exit_code == 0, res.output
    assert "When do the movements happen?" in res.output
    assert "sleeptwitch" in res.output


def test_interactive_rejects_bad_age_then_continues(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    answers = ["1", "two", "4 months"] + ["?"] * 60
    res = runner.invoke(app, ["assess"], input="\n".join(answers) + "\n")
    assert res.exit_code == 0, res.output
    assert "give the age as a number" in res.output


def test_installed_entry_point_runs(infant_file):
    env = {**os.environ, "COLUMNS": "100"}
    out = subprocess.run([sys.executable, "-m", "sleeptwitch", "assess", "--answers",
                          str(infant_file), "--format", "json"], capture_output=True, text=True,
                         env=env, check=False)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["knowledge_version"]


def test_help_lists_every_command():
    res = runner.invoke(app, ["--help"])
    for cmd in ("assess", "schema", "conditions", "knowledge", "demo"):
        assert cmd in res.output
