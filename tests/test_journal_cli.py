"""The journal as a user drives it: one-line logging, list/edit/delete, import/export, trigger
statistics and an assessment fed by journal patterns."""

import datetime as dt
import json

import pytest
from typer.testing import CliRunner

from sleeptwitch.cli import app
from sleeptwitch.journal import Journal, journal_intake, merge_intakes, simulate_journal
from sleeptwitch.journal._when import default_night, parse_when

runner = CliRunner()
NOW = dt.datetime(2026, 11, 21, 7, 10)


@pytest.mark.parametrize("typed, expected", [
    ("now", ("2026-11-20", "07:10")),
    ("15 min ago", ("2026-11-20", "06:55")),
    ("2 h ago", ("2026-11-20", "05:10")),
    ("23:40", ("2026-11-20", "23:40")),   # last evening, typed the next morning
    ("06:00", ("2026-11-20", "06:00")),
    ("night", ("2026-11-20", None)),
])
def test_when_people_type_times(typed, expected):
    day, clock = parse_when(typed, NOW)
    assert (day.isoformat(), clock) == expected


def test_when_after_noon_and_pinned_nights():
    afternoon = dt.datetime(2026, 11, 21, 15, 0)
    assert parse_when("now", afternoon)[0].isoformat() == "2026-11-21"  # awake, today's night
    assert parse_when("01:30", dt.datetime(2026, 11, 22, 1, 45))[0].isoformat() == "2026-11-21"
    assert parse_when("23:00", NOW, "2026-11-01") == (dt.date(2026, 11, 1), "23:00")
    assert default_night(afternoon, morning_report=True).isoformat() == "2026-11-20"
    assert default_night(dt.datetime(2026, 11, 21, 21, 0)).isoformat() == "2026-11-21"
    for bad in ("25:00", "yesterday-ish", "30 h ago"):
        with pytest.raises(ValueError, match="when"):
            parse_when(bad, NOW)


def _run(url, *args, input=None):
    return runner.invoke(app, ["journal", "--database-url", url, *args], input=input)


def test_logging_listing_editing_deleting(sqlite_url):
    assert _run(sqlite_url, "night", "--date", "2026-11-01", "--bedtime", "23:10",
                "--lights-out", "23:20", "--latency", "15", "--wake", "06:40",
                "--quality", "4", "--sleepy").exit_code == 0
    out = _run(sqlite_url, "episode", "23:40", "--date", "2026-11-01", "--body", "legs,feet",
               "--woke", "--observed-by", "partner", "--pattern", "rhythmic",
               "--interval", "25")
    assert out.exit_code == 0 and "Saved episode 1 on the night of 2026-11-01 (23:40)" in out.output
    assert _run(sqlite_url, "exposure", "--date", "2026-11-01", "caffeine_mg=250",
                "caffeine_last=16:00", "late_coding=yes", "medications=melatonin").exit_code == 0
    listed = json.loads(_run(sqlite_url, "list", "--format", "json").output)
    night = listed["nights"][0]
    assert night["bedtime"] == "23:10" and night["sleep_latency_min"] == 15
    assert night["daytime_sleepiness"] is True
    assert night["episodes"][0] | {"id": 1} == night["episodes"][0]
    assert night["episodes"][0]["body_parts"] == ["legs", "feet"]
    assert night["exposures"] == {"caffeine_mg": 250, "caffeine_last": "16:00",
                                  "late_coding": True, "medications": ["melatonin"]}
    assert "2026-11-01" in _run(sqlite_url, "list").output

    assert _run(sqlite_url, "edit", "episode", "1", "intensity=4", "pattern=").exit_code == 0
    assert _run(sqlite_url, "edit", "night", "2026-11-01", "quality=2").exit_code == 0
    assert _run(sqlite_url, "exposure", "--date", "2026-11-01", "late_coding=").exit_code == 0
    night = json.loads(_run(sqlite_url, "list", "--format", "json").output)["nights"][0]
    assert night["episodes"][0]["intensity"] == 4 and night["episodes"][0]["pattern"] is None
    assert night["quality"] == 2 and "late_coding" not in night["exposures"]

    assert _run(sqlite_url, "delete", "episode", "1").exit_code == 0
    assert _run(sqlite_url, "delete", "night", "2026-11-01", "--yes").exit_code == 0
    assert json.loads(_run(sqlite_url, "list", "--format", "json").output)["nights"] == []


@pytest.mark.parametrize("args, message", [
    (["episode", "25:99"], "not a time I understand"),
    (["episode", "now", "--body", "legz"], "Did you mean 'legs'"),
    (["episode", "now", "--intensity", "9"], "above the largest allowed value 5"),
    (["night", "--quality", "0"], "below the smallest allowed value 1"),
    (["exposure", "Caffeine=1"], "not a valid factor name"),
    (["exposure", "caffeine_mg"], "is not NAME=VALUE"),
    (["exposure", "stress=very"], "not a number"),
    (["edit", "episode", "7", "intensity=2"], "nothing has been logged yet"),
    (["edit", "night", "2026-01-01", "quality=2"], "no night of 2026-01-01"),
    (["person", "add", "kid", "--birth-date", "2999-01-01"], "in the future"),
])
def test_bad_input_is_refused_with_the_fix(sqlite_url, args, message):
    result = _run(sqlite_url, *args)
    assert result.exit_code == 2
    assert message in result.output
    assert json.loads(_run(sqlite_url, "list", "--format", "json").output)["nights"] == []


def test_import_export_round_trip_and_bad_files(sqlite_url, tmp_path):
    doc = simulate_journal(20, seed=3)
    source = tmp_path / "in.json"
    source.write_text(json.dumps(doc))
    assert _run(sqlite_url, "import", str(source)).exit_code == 0
    for name in ("out.json", "out.csv"):
        assert _run(sqlite_url, "export", str(tmp_path / name)).exit_code == 0
    fresh = f"sqlite:///{tmp_path / 'fresh.sqlite'}"
    assert _run(fresh, "import", str(tmp_path / "out.csv")).exit_code == 0
    with Journal.open(sqlite_url) as a, Journal.open(fresh) as b:
        assert a.document() == b.document()
    # importing the same nights again is refused and changes nothing
    again = _run(sqlite_url, "import", str(source))
    assert again.exit_code == 2 and "--replace" in again.output
    # a malformed row names its line, and nothing of the file is imported
    lines = (tmp_path / "out.csv").read_text().splitlines()
    bad_line = [i for i, line in enumerate(lines, 1) if line.startswith("night,")][3]
    lines[bad_line - 1] = lines[bad_line - 1].replace("night,", "night,not-a-date-", 1)
    (tmp_path / "bad.csv").write_text("\n".join(lines) + "\n")
    empty = f"sqlite:///{tmp_path / 'empty.sqlite'}"
    result = _run(empty, "import", str(tmp_path / "bad.csv"))
    assert result.exit_code == 2 and f"line {bad_line}" in result.output
    assert json.loads(_run(empty, "list", "--format", "json").output)["nights"] == []
    (tmp_path / "broken.json").write_text('{"format": "sleeptwitch-journal/1", "nights": [')
    result = _run(empty, "import", str(tmp_path / "broken.json"))
    assert result.exit_code == 2 and "not valid JSON" in result.output
    # FHIR export is a Bundle with one Patient
    assert _run(sqlite_url, "export", str(tmp_path / "j.fhir.json")).exit_code == 0
    bundle = json.loads((tmp_path / "j.fhir.json").read_text())
    kinds = [e["resource"]["resourceType"] for e in bundle["entry"]]
    assert bundle["resourceType"] == "Bundle" and kinds.count("Patient") == 1
    assert kinds.count("Observation") > 20


def test_trigger_statistics_from_the_cli(sqlite_url, tmp_path):
    # the statistics themselves are checked in test_journal_analytics and the benchmark; here a
    # strong effect just has to come through the CLI
    doc = simulate_journal(60, effects={"caffeine_after_noon": 4.0}, seed=12)
    (tmp_path / "j.json").write_text(json.dumps(doc))
    assert _run(sqlite_url, "import", str(tmp_path / "j.json")).exit_code == 0
    result = json.loads(_run(sqlite_url, "triggers", "--format", "json").output)
    assert result["nights"] == 60
    caffeine = next(f for f in result["factors"] if f["name"] == "caffeine_after_noon")
    assert caffeine["verdict"] == "goes_with_more" and caffeine["ci_low"] > 1
    text = _run(sqlite_url, "triggers").output
    assert "goes with more" in text and "not proof" in text
    few = f"sqlite:///{tmp_path / 'few.sqlite'}"
    doc["nights"] = doc["nights"][:13]
    (tmp_path / "few.json").write_text(json.dumps(doc))
    _run(few, "import", str(tmp_path / "few.json"))
    result = json.loads(_run(few, "triggers", "--format", "json").output)
    assert {f["verdict"] for f in result["factors"]} == {"not_enough_data"}
    assert _run(sqlite_url, "stats").exit_code == 0


def _night(date, *episodes, **fields):
    return {"date": date, "episodes": list(episodes), "exposures": fields.pop("exposures", {}),
            **fields}


def test_journal_patterns_become_findings_and_red_flags(sqlite_url, tmp_path):
    kicks = {"time": "02:10", "state": "asleep", "body_parts": ["legs"], "pattern": "rhythmic",
             "interval_seconds": 30, "observed_by": "partner", "woke": True}
    awake = {"time": "15:00", "state": "awake", "body_parts": ["arms"], "woke": False}
    doc = {"format": "sleeptwitch-journal/1",
           "person": {"name": "Lee", "birth_date": "1970-05-01"},
           "nights": [_night(f"2026-10-{d:02d}", kicks, daytime_sleepiness=True)
                      for d in range(1, 15)] + [_night("2026-10-15", awake, kicks)]}
    found = journal_intake(doc)
    assert found.intake["timing"] == ["asleep", "awake"]
    assert found.intake["pattern"] == "rhythmic" and found.intake["interval_seconds"] == 30
    assert found.intake["disturbs_sleep"] is True and found.intake["daytime_sleepiness"] is True
    assert found.intake["age_months"] == 56 * 12 + 5  # 1970-05-01 to 2026-10-15
    assert "pain_after" not in found.intake  # never recorded: not known, not "no"
    assert {e["field"] for e in found.evidence} >= {"timing", "pattern", "disturbs_sleep",
                                                    "daytime_sleepiness"}
    (tmp_path / "lee.json").write_text(json.dumps(doc))
    _run(sqlite_url, "import", str(tmp_path / "lee.json"))
    out = _run(sqlite_url, "assess", "--format", "json")
    assert out.exit_code == 0, out.output
    result = json.loads(out.output)["assessment"]
    assert "rf_jerks_while_awake" in {f["id"] for f in result["red_flags"]}
    assert "partner_reports_periodic_kicks" in {r["id"] for r in result["rules"]}
    with Journal.open(sqlite_url) as journal:
        saved = journal.latest_assessment()
    assert saved["result"]["triage"] == result["triage"]
    text = _run(sqlite_url, "assess", "--no-save").output
    assert "The journal shows patterns" in text
    response = json.loads(_run(sqlite_url, "assess", "--no-save", "--format", "fhir").output)
    assert response["resourceType"] == "QuestionnaireResponse"
    answered = {item["linkId"] for item in response["item"]}
    assert {"timing", "pattern", "interval_seconds", "disturbs_sleep"} <= answered
    assert "pain_after" not in answered


def test_journal_findings_only_raise():
    assert merge_intakes({"pain_after": False}, {"pain_after": True})["pain_after"] is True
    assert merge_intakes({"timing": ["asleep"]}, {"timing": ["awake"]})["timing"] == [
        "asleep", "awake"]
    assert merge_intakes({"age_years": 40}, {"age_months": 12})["age_years"] == 40
    quiet = {"format": "sleeptwitch-journal/1", "nights": [
        _night("2026-10-01", {"time": "23:00", "pain": False})]}
    found = journal_intake(quiet)
    assert found.intake["pain_after"] is False and "timing" not in found.intake
    assert found.evidence == []


def test_assess_needs_an_age(sqlite_url):
    _run(sqlite_url, "episode", "now")
    result = _run(sqlite_url, "assess")
    assert result.exit_code == 2 and "birth-date" in result.output


def test_journal_assess_interview_asks_only_what_the_journal_cannot_answer(sqlite_url, tmp_path):
    kicks = {"time": "02:10", "state": "asleep", "body_parts": ["legs"], "pattern": "rhythmic",
             "interval_seconds": 30, "observed_by": "partner", "woke": True}
    doc = {"format": "sleeptwitch-journal/1",
           "person": {"name": "Lee", "birth_date": "1970-05-01"},
           "nights": [_night(f"2026-10-{d:02d}", kicks) for d in range(1, 15)]}
    (tmp_path / "lee.json").write_text(json.dumps(doc))
    _run(sqlite_url, "import", str(tmp_path / "lee.json"))
    out = _run(sqlite_url, "assess", "--interview", "--no-save", input="?\n" * 80)
    assert out.exit_code == 0, out.output
    # the journal already says when, where and how: those are not asked again
    assert "When do the movements happen?" not in out.output
    assert "Which parts of your body move?" not in out.output
    assert "How old are you?" not in out.output
    assert "PERIODIC" in out.output.upper() or "ROUTINE" in out.output.upper()
