"""Bad intakes give clear errors that name the field and what is allowed."""

from __future__ import annotations

import pytest

from sleeptwitch.triage import IntakeError, parse_intake


def test_minimal_intake_is_age_only():
    intake = parse_intake({"age_months": 4})
    assert intake.age_in_months == 4
    assert intake.timing is None  # not known, not "no"


def test_age_in_years_converts_to_months():
    assert parse_intake({"age_years": 2.5}).age_in_months == 30


@pytest.mark.parametrize("data", [{}, {"timing": ["asleep"]}, {"age_months": 4, "age_years": 1}])
def test_exactly_one_age_is_required(data):
    with pytest.raises(IntakeError, match="exactly one of 'age_months' or 'age_years'"):
        parse_intake(data)


@pytest.mark.parametrize("data", [{"age_years": -1}, {"age_years": 150}, {"age_months": 5000}])
def test_impossible_ages_are_refused(data):
    with pytest.raises(IntakeError, match="age_"):
        parse_intake(data)


def test_unknown_field_is_named_with_a_suggestion():
    with pytest.raises(IntakeError) as exc:
        parse_intake({"age_months": 4, "stops_when_woke": True})
    msg = str(exc.value)
    assert "Invalid field name for 'intake'" in msg
    assert "got 'stops_when_woke'. Did you mean 'stops_when_woken'?" in msg
    assert "allowed are 'age_months', 'age_years'" in msg


def test_unknown_value_lists_what_is_allowed():
    with pytest.raises(IntakeError) as exc:
        parse_intake({"age_months": 4, "timing": ["sleeping"]})
    msg = str(exc.value)
    assert "Invalid value for 'timing.0'" in msg and "got 'sleeping'" in msg
    assert "'falling_asleep', 'asleep', 'waking_up', 'awake'" in msg


def test_unknown_nested_field_is_named():
    with pytest.raises(IntakeError, match="Invalid field name for 'lifestyle'.*got 'late_coffee'"):
        parse_intake({"age_years": 30, "lifestyle": {"late_coffee": True}})


def test_wrong_type_names_the_field():
    with pytest.raises(IntakeError, match="'interval_seconds'"):
        parse_intake({"age_years": 30, "interval_seconds": "often"})


def test_onset_after_today_is_refused():
    with pytest.raises(IntakeError, match="onset_age_months"):
        parse_intake({"age_months": 4, "onset_age_months": 9})


def test_every_problem_is_reported_at_once():
    with pytest.raises(IntakeError) as exc:
        parse_intake({"age_years": 30, "colour": "red", "pattern": "wavy"})
    assert len(exc.value.problems) == 2


def test_non_mapping_is_refused():
    with pytest.raises(IntakeError, match="must be a mapping"):
        parse_intake(["age_months", 4])


def test_default_audience_follows_age():
    assert parse_intake({"age_months": 4}).resolved_audience == "parent"
    assert parse_intake({"age_years": 40}).resolved_audience == "patient"
    assert parse_intake({"age_years": 40, "audience": "clinician"}).resolved_audience == "clinician"
