"""The interview lives in the library (sleeptwitch.triage) and every interface renders it."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from sleeptwitch.cli import app
from sleeptwitch.triage import (
    AnswerError,
    age_unit_question,
    merge_answer,
    next_step,
    parse_age,
    parse_answer,
    question_for,
)

runner = CliRunner()


def test_bare_number_for_age_is_never_guessed():
    assert parse_age("4") == 4.0
    assert parse_age("4 months") == {"age_months": 4.0}
    assert parse_age("34y") == {"age_years": 34.0}
    assert parse_age("6 weeks") == {"age_months": pytest.approx(1.38, abs=0.01)}
    with pytest.raises(AnswerError, match="not a unit of age"):
        parse_age("4 moons")
    q = age_unit_question(4, {"audience": "parent"})
    assert q.options[0][0] == "4 months"  # a parent of a baby is offered months first
    assert age_unit_question(4, {"audience": "patient"}).options[0][0] == "4 years"
    with pytest.raises(AnswerError, match="unit"):
        merge_answer({"audience": "parent"}, "age", 4.0)


def test_every_list_question_accepts_none_and_dont_know():
    q = question_for("body_parts", {"audience": "patient", "age_years": 30})
    assert q.allows_none and q.allows_unknown
    assert parse_answer(q, "none") == []
    assert parse_answer(q, "0") == []
    assert parse_answer(q, "?") is None
    assert parse_answer(q, "1, 2") == ["feet", "legs"]
    with pytest.raises(AnswerError, match="did you mean 'legs'"):
        parse_answer(q, "legz")


def test_options_that_cannot_apply_at_this_age_are_not_offered():
    baby = question_for("known_conditions", {"audience": "parent", "age_months": 4})
    adult = question_for("known_conditions", {"audience": "patient", "age_years": 70})
    assert "parkinsons" not in dict(baby.options)
    assert "pregnancy" not in dict(baby.options)
    assert "parkinsons" in dict(adult.options)


def test_questions_that_cannot_apply_at_this_age_are_not_asked():
    answers = {"audience": "parent", "age_months": 4}
    asked = []
    for _ in range(60):
        step = next_step(answers)
        if step.done:
            break
        asked.append(step.question.id)
        answers = merge_answer(answers, step.question.id, None)  # don't know, every time
    assert step.done and step.assessment is not None
    assert "dream_enactment" not in asked and "cognitive_decline" not in asked
    assert not any(a.startswith("lifestyle.") for a in asked)
    assert len(asked) == len(set(asked)), "a question answered 'don't know' is not asked again"


def test_dont_know_stays_not_known():
    answers = merge_answer({"audience": "patient", "age_years": 40}, "stops_when_woken", None)
    step = next_step(answers)
    assert step.question.id != "stops_when_woken"
    assert "stops_when_woken" not in step.to_dict()["question"]["id"]


def test_step_has_the_design_shape():
    step = next_step({})
    d = step.to_dict()
    assert set(d) == {"done", "question", "progress", "assessment"}
    assert d["question"]["id"] == "audience"
    assert {"id", "text", "kind", "options", "allows_none", "allows_unknown"} <= set(d["question"])


def test_merge_refuses_an_answer_the_intake_cannot_take():
    with pytest.raises(AnswerError, match="onset_age_months"):
        merge_answer({"audience": "parent", "age_months": 4}, "onset_age_months", 30.0)


def _run(lines, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return runner.invoke(app, ["assess"], input="\n".join(lines) + "\n")


def _scripted_lines(first: list[str], answers: dict) -> list[str]:
    """The lines a user would type after ``first``: 'n' to yes/no questions, 'none' to lists,
    '?' to anything else; computed with the library so the piped input matches the questions."""
    lines = []
    while True:
        step = next_step(answers)
        if step.done:
            return first + lines
        q = step.question
        line = {"bool": "n", "multi": "none"}.get(q.kind, "?")
        lines.append(line)
        answers = merge_answer(answers, q.id, parse_answer(q, line))


def test_cli_interview_end_to_end_with_piped_answers(tmp_path, monkeypatch):
    # parent; "4" -> "months or years?" -> 1 (4 months); timing: asleep (2); stops when
    # woken: y; body parts: feet (1); pattern: random twitches (2); side: one side (1); then
    # 'n' / 'none' / '?' to the rest; finally save the intake.
    first = ["1", "4", "1", "2", "y", "1", "2", "1"]
    known = {"audience": "parent", "age_months": 4.0, "timing": ["asleep"],
             "stops_when_woken": True, "body_parts": ["feet"], "pattern": "random_twitches",
             "side": "one_side"}
    lines = _scripted_lines(first, known)
    res = _run(lines + ["saved.json"], tmp_path, monkeypatch)
    assert res.exit_code == 0, res.output
    assert "4 months or 4 years" in res.output
    assert "is not on the list" not in res.output and "answer y (yes)" not in res.output
    saved = json.loads((tmp_path / "saved.json").read_text())
    assert {k: saved[k] for k in known} == known
    assert "sleeptwitch assess --answers saved.json" in res.output
    # The end screen does not ask for answers it cannot take.
    assert "Questions that could change this" not in res.output
    # The saved intake assesses to the same result as the interview did.
    again = runner.invoke(app, ["assess", "--answers", str(tmp_path / "saved.json"),
                                "--format", "json"])
    assert again.exit_code == 0
    assert json.loads(again.output)["triage"].replace("_", " ").upper() in res.output


def test_cli_interview_accepts_none_for_a_list(tmp_path, monkeypatch):
    lines = ["2", "34 years", "none"] + ["?"] * 60
    res = _run(lines + [""], tmp_path, monkeypatch)
    assert res.exit_code == 0, res.output
    assert "0. none of these" in res.output
    assert "is not on the list" not in res.output
