"""FHIR export of the journal and of an assessment, checked against the R4B models.

The validator is fhir.resources (pydantic 2). It ships R5 by default and R4B (4.3) as
``fhir.resources.R4B``; no release of it for pydantic 2 has plain R4 (4.0.1). The elements
used here of Patient, Observation, Bundle and QuestionnaireResponse are the same in R4 and R4B,
so the R4B models check what an R4 consumer reads.
"""

from __future__ import annotations

import copy
import datetime as dt
import json

import pytest

from sleeptwitch.journal._document import JournalError
from sleeptwitch.journal._fhir import (
    CONDITION_SYSTEM,
    CUSTOM_FACTOR_SYSTEM,
    INTAKE_QUESTIONNAIRE,
    JOURNAL_SYSTEM,
    assessment_to_fhir,
    intake_from_fhir,
    journal_to_fhir,
)
from sleeptwitch.triage import assess, parse_intake

UCUM = "http://unitsofmeasure.org"
CET = dt.timezone(dt.timedelta(hours=1))


@pytest.fixture(scope="module")
def r4b():
    """The R4B model classes, by resource type."""
    models = pytest.importorskip("fhir.resources.R4B")
    return models.get_fhir_model_class


def _journal() -> dict:
    return {
        "format": "sleeptwitch-journal/1",
        "person": {"name": "Sam", "birth_date": "1990-04-02"},
        "nights": [
            {"date": "2026-11-01",
             "bedtime": "23:10", "lights_out": "23:30", "sleep_latency_min": 20,
             "awakenings": 2, "awake_min": 15, "wake_time": "06:50", "out_of_bed": "07:05",
             "quality": 3, "daytime_sleepiness": False, "note": "",
             "episodes": [
                 {"time": "23:45", "state": "falling_asleep", "body_parts": ["legs"],
                  "intensity": 3, "woke": True, "observed_by": "self",
                  "pattern": "single_jerk", "interval_seconds": None, "pain": False,
                  "spreading": False, "note": ""},
                 {"time": None, "body_parts": ["feet", "hands"], "observed_by": "partner",
                  "note": "kicked twice"}],
             "exposures": {"caffeine_mg": 200, "caffeine_last": "15:30", "alcohol_drinks": 1,
                           "nicotine": False, "exercise_min": 30, "exercise_end": "21:00",
                           "stress": 4, "screens_min": 60, "magnesium": False,
                           "medications": ["melatonin"], "late_coding": True,
                           "cheese_portions": 1.5}},
            {"date": "2026-11-02"},  # nothing recorded but the date
        ],
    }


def _resources(bundle: dict, kind: str | None = None) -> list[dict]:
    return [e["resource"] for e in bundle["entry"]
            if kind is None or e["resource"]["resourceType"] == kind]


def _code(resource: dict) -> str:
    return resource["code"]["coding"][0]["code"]


def _component(obs: dict, code: str) -> list[dict]:
    return [c for c in obs.get("component", ()) if c["code"]["coding"][0]["code"] == code]


def _walk(value, key: str):
    """Every value stored under ``key`` anywhere in a JSON tree."""
    if isinstance(value, dict):
        for k, v in value.items():
            if k == key:
                yield v
            yield from _walk(v, key)
    elif isinstance(value, list):
        for v in value:
            yield from _walk(v, key)


def _night(bundle: dict, date: str) -> dict:
    (night,) = [o for o in _resources(bundle, "Observation") if _code(o) == "night"
                and (o.get("effectiveDateTime") == date
                     or o.get("effectivePeriod", {}).get("start", "").startswith(date))]
    return night


# -- the journal ---------------------------------------------------------------------------------
def test_bundle_validates_and_every_resource_is_what_it_says(r4b):
    bundle = journal_to_fhir(_journal(), tz=CET)
    r4b("Bundle").model_validate(bundle)
    for entry in bundle["entry"]:
        resource = entry["resource"]
        model = r4b(resource["resourceType"])
        assert type(model.model_validate(resource)).__name__ == resource["resourceType"]
        assert entry["fullUrl"] == f"urn:uuid:{resource['id']}"
    assert bundle["type"] == "collection"
    kinds = [r["resourceType"] for r in _resources(bundle)]
    assert kinds[0] == "Patient" and set(kinds[1:]) == {"Observation"}
    # 2 nights, 2 episodes, 12 exposures (medications: one each)
    assert len(kinds) == 1 + 2 + 2 + 12


def test_patient_carries_name_and_birth_date_only():
    (patient,) = _resources(journal_to_fhir(_journal()), "Patient")
    assert patient["name"] == [{"text": "Sam"}]
    assert patient["birthDate"] == "1990-04-02"
    assert set(patient) == {"resourceType", "id", "name", "birthDate"}


def test_references_resolve_inside_the_bundle():
    bundle = journal_to_fhir(_journal())
    urls = {e["fullUrl"] for e in bundle["entry"]}
    references = list(_walk(bundle, "reference"))
    assert references and set(references) <= urls
    patient_url = bundle["entry"][0]["fullUrl"]
    for obs in _resources(bundle, "Observation"):
        assert obs["subject"] == {"reference": patient_url}
        assert obs["status"] == "final"
    night = _night(bundle, "2026-11-01")
    members = [m["reference"] for m in night["hasMember"]]
    assert len(members) == 2 + 12
    assert bundle["entry"].index(next(e for e in bundle["entry"]
                                      if e["resource"] is night)) < min(
        i for i, e in enumerate(bundle["entry"]) if e["fullUrl"] in members)


def test_export_is_deterministic():
    first = journal_to_fhir(_journal(), tz=CET)
    again = journal_to_fhir(copy.deepcopy(_journal()), tz=CET)
    assert json.dumps(first, sort_keys=True) == json.dumps(again, sort_keys=True)
    ids = [e["resource"]["id"] for e in first["entry"]]
    assert len(ids) == len(set(ids))
    # A change elsewhere in the journal leaves the ids of untouched records alone.
    changed = _journal()
    changed["nights"][1]["quality"] = 4
    other = journal_to_fhir(changed, tz=CET)
    assert [e["resource"]["id"] for e in other["entry"]] == ids
    assert other["id"] != first["id"]


def test_patient_id():
    given = "0b6a3b9e-3f7e-4c65-9a3c-0f5f3c2d1e00"
    bundle = journal_to_fhir(_journal(), patient_id=given)
    assert bundle["entry"][0]["resource"]["id"] == given
    hashed = journal_to_fhir(_journal(), patient_id="clinic-42")
    assert hashed["entry"][0]["resource"]["id"] not in (given, "clinic-42")
    renamed = _journal()
    renamed["person"]["name"] = "Samuel"
    assert (journal_to_fhir(renamed, patient_id="clinic-42")["entry"][1]["resource"]["id"]
            == hashed["entry"][1]["resource"]["id"])


def test_night_times_follow_the_clock_rules():
    bundle = journal_to_fhir(_journal(), tz=CET)
    night = _night(bundle, "2026-11-01")
    assert night["effectivePeriod"] == {"start": "2026-11-01T23:10:00+01:00",
                                        "end": "2026-11-02T07:05:00+01:00"}
    assert _component(night, "wake-time")[0]["valueDateTime"] == "2026-11-02T06:50:00+01:00"

    late = {"format": "sleeptwitch-journal/1", "nights": [
        {"date": "2026-11-01", "bedtime": "00:30", "lights_out": "01:00", "wake_time": "13:00"}]}
    night = _night(journal_to_fhir(late), "2026-11-02")
    # 00:30 and 01:00 are after midnight; 13:00 is the first 13:00 after lights out.
    assert night["effectivePeriod"] == {"start": "2026-11-02T00:30:00+00:00",
                                        "end": "2026-11-02T13:00:00+00:00"}


def test_iana_time_zone_gives_the_offset_of_the_date():
    pytest.importorskip("zoneinfo").ZoneInfo("Europe/Berlin")
    doc = {"format": "sleeptwitch-journal/1", "nights": [
        {"date": "2026-07-01", "bedtime": "23:00"}, {"date": "2026-12-01", "bedtime": "23:00"}]}
    starts = [o["effectivePeriod"]["start"]
              for o in _resources(journal_to_fhir(doc, tz="Europe/Berlin"), "Observation")]
    assert starts == ["2026-07-01T23:00:00+02:00", "2026-12-01T23:00:00+01:00"]
    with pytest.raises(ValueError, match="tz"):
        journal_to_fhir(doc, tz="Mars/Olympus")


def test_sleep_diary_items_and_derived_quantities():
    night = _night(journal_to_fhir(_journal()), "2026-11-01")
    minutes = {c["code"]["coding"][0]["code"]: c["valueQuantity"]["value"]
               for c in night["component"] if "valueQuantity" in c}
    assert minutes["sleep-latency"] == 20 and minutes["waso"] == 15
    assert minutes["time-in-bed"] == 7 * 60 + 55          # 23:10 -> 07:05
    assert minutes["total-sleep-time"] == 440 - 20 - 15   # 23:30 -> 06:50, less latency, WASO
    assert minutes["sleep-efficiency"] == round(100 * 405 / 475, 1)
    assert _component(night, "awakenings")[0]["valueInteger"] == 2
    assert _component(night, "sleep-quality")[0]["valueInteger"] == 3
    # A recorded "no" is data and is exported as such.
    assert _component(night, "daytime-sleepiness")[0]["valueBoolean"] is False
    tst = _component(night, "total-sleep-time")[0]["code"]["coding"]
    assert {"system": "http://loinc.org", "code": "93832-4", "display": "Sleep duration"} in tst
    assert all(c["system"] == JOURNAL_SYSTEM for c in tst if c["system"] != "http://loinc.org")


def test_nothing_is_exported_for_a_missing_value():
    bundle = journal_to_fhir(_journal())
    empty = _night(bundle, "2026-11-02")
    assert empty["effectiveDateTime"] == "2026-11-02"
    assert not {"component", "hasMember", "note", "effectivePeriod", "valueBoolean"} & set(empty)

    (bare,) = [o for o in _resources(bundle, "Observation") if _code(o) == "twitch-episode"
               and "effectivePeriod" in o]
    codes = [c["code"]["coding"][0]["code"] for c in bare["component"]]
    assert sorted(codes) == ["body-site", "body-site", "observed-by"]  # nothing else recorded
    assert "bodySite" not in bare  # two body parts: components only
    assert bare["note"] == [{"text": "kicked twice"}]
    # Time not known: the night's window, noon to noon.
    assert bare["effectivePeriod"] == {"start": "2026-11-01T12:00:00+00:00",
                                       "end": "2026-11-02T12:00:00+00:00"}
    (timed,) = [o for o in _resources(bundle, "Observation") if _code(o) == "twitch-episode"
                and "effectiveDateTime" in o]
    assert "note" not in timed and not _component(timed, "interval")  # "" and null
    # No night without sleep latency gets a total sleep time, and nothing is null or empty.
    assert None not in list(_walk(bundle, "value"))
    text = json.dumps(bundle)
    assert "null" not in text and '""' not in text and "[]" not in text and "{}" not in text


def test_episode_components_and_body_site():
    bundle = journal_to_fhir(_journal(), tz=CET)
    (ep,) = [o for o in _resources(bundle, "Observation") if _code(o) == "twitch-episode"
             and "effectiveDateTime" in o]
    assert ep["effectiveDateTime"] == "2026-11-01T23:45:00+01:00"
    assert ep["bodySite"]["coding"][0] == {"system": "http://snomed.info/sct",
                                           "code": "61685007",
                                           "display": "Lower limb structure"}
    assert _component(ep, "intensity")[0]["valueInteger"] == 3
    assert _component(ep, "woke")[0]["valueBoolean"] is True
    assert _component(ep, "pain")[0]["valueBoolean"] is False
    assert _component(ep, "observed-by")[0]["valueCodeableConcept"]["coding"][0]["code"] == "self"
    assert _component(ep, "state")[0]["valueCodeableConcept"]["coding"][0]["code"] == (
        "falling_asleep")
    assert _component(ep, "pattern")[0]["valueCodeableConcept"]["coding"][0]["code"] == (
        "single_jerk")


def test_quantities_carry_ucum_units():
    bundle = journal_to_fhir(_journal())
    quantities = list(_walk(bundle, "valueQuantity"))
    assert len(quantities) >= 10
    for q in quantities:
        assert q["system"] == UCUM and q["code"] and q["unit"]
    exposures = {_code(o): o for o in _resources(bundle, "Observation")
                 if o.get("effectiveDateTime") == "2026-11-01"}  # the day's exposures
    assert exposures["caffeine"]["valueQuantity"] == {"value": 200, "unit": "mg",
                                                      "system": UCUM, "code": "mg"}
    assert exposures["alcohol"]["valueQuantity"]["code"] == "{drink}"
    assert exposures["exercise"]["valueQuantity"]["code"] == "min"
    assert exposures["stress"]["valueInteger"] == 4
    assert exposures["nicotine"]["valueBoolean"] is False
    assert exposures["caffeine-last"]["valueDateTime"] == "2026-11-01T15:30:00+00:00"
    assert exposures["medication"]["valueCodeableConcept"] == {"text": "melatonin"}
    categories = {k: o["category"][0]["coding"][0]["code"] for k, o in exposures.items()}
    assert categories["caffeine"] == "social-history" and categories["exercise"] == "activity"


def test_custom_exposure_factor_is_exported():
    bundle = journal_to_fhir(_journal())
    custom = {o["code"]["coding"][0]["code"]: o for o in _resources(bundle, "Observation")
              if o["code"]["coding"][0]["system"] == CUSTOM_FACTOR_SYSTEM}
    assert set(custom) == {"late_coding", "cheese_portions"}
    assert custom["late_coding"]["valueBoolean"] is True
    assert custom["late_coding"]["code"]["text"] == "late coding"
    assert custom["cheese_portions"]["valueQuantity"] == {"value": 1.5, "unit": "1",
                                                          "system": UCUM, "code": "1"}


def test_a_bad_journal_is_refused_with_its_path():
    doc = _journal()
    doc["nights"][0]["episodes"][0]["time"] = "25:00"
    with pytest.raises(JournalError, match=r"nights\[0\]\.episodes\[0\]\.time"):
        journal_to_fhir(doc)


# -- the assessment ------------------------------------------------------------------------------
_RLS = {"age_years": 52, "timing": ["awake", "falling_asleep"], "body_parts": ["legs"],
        "urge_to_move": True, "urge_worse_at_rest": True, "urge_relieved_by_moving": True,
        "urge_worse_evening": True, "sensations": ["crawling"], "daytime_sleepiness": False,
        "lifestyle": {"late_caffeine": True}, "workup": {"ferritin_ug_l": 30, "eeg": "normal"}}


def test_questionnaire_response_validates(r4b):
    result = assess(_RLS)
    response = assessment_to_fhir(result)
    r4b("QuestionnaireResponse").model_validate(response)
    (outcome,) = response["contained"]
    r4b("Observation").model_validate(outcome)
    assert response["status"] == "completed"
    assert response["questionnaire"] == INTAKE_QUESTIONNAIRE
    assert outcome["derivedFrom"] == [{"reference": "#"}]


def test_answered_intake_fields_round_trip():
    result = assess(_RLS)
    response = assessment_to_fhir(result)
    assert intake_from_fhir(response) == result.intake
    assert parse_intake(intake_from_fhir(response)) == parse_intake(_RLS)
    items = {i["linkId"]: i for i in response["item"]}
    assert items["urge_to_move"]["answer"] == [{"valueBoolean": True}]
    assert items["daytime_sleepiness"]["answer"] == [{"valueBoolean": False}]
    assert items["age_years"]["answer"] == [{"valueDecimal": 52}]
    assert [a["valueCoding"]["code"] for a in items["timing"]["answer"]] == [
        "awake", "falling_asleep"]
    assert items["lifestyle"]["item"] == [{"linkId": "lifestyle.late_caffeine",
                                           "answer": [{"valueBoolean": True}]}]
    assert {i["linkId"] for i in items["workup"]["item"]} == {"workup.ferritin_ug_l",
                                                              "workup.eeg"}


def test_a_field_left_unknown_is_absent():
    response = assessment_to_fhir(assess({"age_months": 4, "body_parts": ["feet"]}))
    links = {i["linkId"] for i in response["item"]}
    assert links == {"age_months", "body_parts"}
    assert "stops_when_woken" not in json.dumps(response["item"])
    assert "lifestyle" not in links  # no group without an answered field in it
    assert intake_from_fhir(response) == {"age_months": 4, "body_parts": ["feet"]}


def test_outcome_carries_triage_and_conditions_with_icd10cm():
    result = assess(_RLS)
    (outcome,) = assessment_to_fhir(result)["contained"]
    assert outcome["valueCodeableConcept"]["coding"][0]["code"] == result.triage
    assert outcome["status"] == ("preliminary" if result.provisional else "final")
    conditions = [c for c in outcome["component"]
                  if c["code"]["coding"][0]["system"] == CONDITION_SYSTEM]
    assert [c["code"]["coding"][0]["code"] for c in conditions] == [
        c["id"] for c in result.conditions]
    assert conditions[0]["code"]["coding"][0]["code"] == "restless_legs_syndrome"
    assert {"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "G25.81"} in (
        conditions[0]["code"]["coding"])
    for component, cond in zip(conditions, result.conditions, strict=True):
        icd = [c for c in component["code"]["coding"] if "icd-10-cm" in c["system"]]
        assert [c["code"] for c in icd] == ([cond["icd10cm"]] if cond.get("icd10cm") else [])
        assert component["valueCodeableConcept"]["coding"][0]["code"] == cond["likelihood"]


def test_assessment_export_is_deterministic_and_takes_a_dict_or_an_intake():
    result = assess(_RLS)
    first = assessment_to_fhir(result)
    assert assessment_to_fhir(assess(_RLS)) == first
    assert assessment_to_fhir(result.to_dict()) == first
    assert assessment_to_fhir(result, _RLS) == first
    linked = assessment_to_fhir(result, subject="Patient/123")
    assert linked["subject"] == {"reference": "Patient/123"}
    assert linked["contained"][0]["subject"] == {"reference": "Patient/123"}
    with pytest.raises(ValueError, match="Assessment"):
        assessment_to_fhir({"not": "an assessment"})


def test_red_flags_are_in_the_outcome(r4b):
    result = assess({"age_months": 6, "pattern": "clusters", "timing": ["waking_up"],
                     "developmental_concern": True, "body_parts": ["trunk", "arms"]})
    assert result.red_flags
    response = assessment_to_fhir(result)
    r4b("QuestionnaireResponse").model_validate(response)
    flags = [c["valueCodeableConcept"]["coding"][0]["code"]
             for c in response["contained"][0].get("component", ())
             if c["code"]["coding"][0]["code"] == "red-flag"]
    assert flags == [f["id"] for f in result.red_flags]
