"""The scenarios of the five source articles, and each of their red flags, as vignettes."""

from __future__ import annotations

import pytest

from sleeptwitch.triage import LEVELS, assess

RANK = {lv: i for i, lv in enumerate(LEVELS)}

# shared/sources/000: a neurologically normal 4-month-old with isolated foot twitching in sleep
# that stops on waking.
INFANT = {"age_months": 4, "audience": "parent", "timing": ["asleep"], "stops_when_woken": True,
          "body_parts": ["feet"], "side": "one_side", "pattern": "random_twitches",
          "facial_involvement": False, "developmental_concern": False,
          "abnormal_neuro_exam": False, "triggered_by_emotion": False}

# The article's red flags, each added to the same infant.
INFANT_RED_FLAGS = {
    "movements while awake": {"timing": ["asleep", "awake"]},
    "developmental delay": {"developmental_concern": True},
    "abnormal neurological exam": {"abnormal_neuro_exam": True},
    "rhythmic every 15-30 s": {"pattern": "rhythmic", "interval_seconds": 20},
    "facial involvement": {"facial_involvement": True},
    "triggered by emotions": {"triggered_by_emotion": True},
    "does not stop on waking": {"stops_when_woken": False},
}

# shared/sources/002: an adult's leg jerks as he falls asleep.
ADULT = {"age_years": 34, "audience": "patient", "timing": ["falling_asleep"],
         "pattern": "single_jerk", "body_parts": ["legs"], "sensations": ["falling"],
         "pain_after": False, "weakness": False, "daytime_sleepiness": False}

# The article's red flags for leg twitches before sleep.
ADULT_RED_FLAGS = {
    "pain after the twitch": {"pain_after": True},
    "tingling or numbness": {"sensations": ["falling", "tingling", "numbness"]},
    "weakness": {"weakness": True},
    "during waking hours": {"timing": ["falling_asleep", "awake"]},
    "disruptive with daytime fatigue": {"disturbs_sleep": True, "daytime_sleepiness": True,
                                        "episodes_per_night": 6, "nights_per_week": 6},
    "spreading beyond one limb": {"body_parts": ["legs", "arms", "trunk"], "getting_worse": True},
}


def test_infant_foot_twitching_is_reassured(knowledge):
    result = assess(INFANT, knowledge)
    assert result.triage == "reassure_self_care"
    assert result.conditions[0]["id"] in ("benign_neonatal_sleep_myoclonus",
                                          "physiological_sleep_twitches")
    assert result.red_flags == ()
    avoid = {a["id"] for a in assess(INFANT, knowledge, audience="clinician").avoid}
    assert "avoid_antiepileptics_bnsm" in avoid  # the article's main pitfall


@pytest.mark.parametrize("flag", sorted(INFANT_RED_FLAGS))
def test_each_infant_red_flag_raises_the_level(knowledge, flag):
    result = assess({**INFANT, **INFANT_RED_FLAGS[flag]}, knowledge)
    assert RANK[result.triage] > RANK["reassure_self_care"], (flag, result.triage)
    assert result.red_flags or result.rules, flag


def test_infantile_spasm_pattern_is_urgent(knowledge):
    result = assess({"age_months": 6, "timing": ["waking_up"], "pattern": "clusters",
                     "body_parts": ["trunk", "arms"], "side": "both_sides",
                     "developmental_concern": True}, knowledge)
    assert result.triage == "urgent"
    assert "infantile_spasms" in [c["id"] for c in result.conditions[:3]]


def test_adult_sleep_start_is_reassured(knowledge):
    result = assess(ADULT, knowledge)
    assert result.triage == "reassure_self_care"
    assert result.conditions[0]["id"] == "hypnic_jerks"


@pytest.mark.parametrize("flag", sorted(ADULT_RED_FLAGS))
def test_each_adult_red_flag_raises_the_level(knowledge, flag):
    result = assess({**ADULT, **ADULT_RED_FLAGS[flag]}, knowledge)
    assert RANK[result.triage] > RANK["reassure_self_care"], (flag, result.triage)


def test_lifestyle_triggers_bring_their_advice(knowledge):
    """shared/sources/002 and 003: caffeine, stress and late exercise go with sleep starts."""
    result = assess({**ADULT, "lifestyle": {"late_caffeine": True, "high_stress": True,
                                            "late_exercise": True}}, knowledge)
    assert result.triage == "reassure_self_care"
    assert {t["id"] for t in result.summary["triggers"]} >= {"caffeine", "stress_anxiety",
                                                               "late_exercise"}
    advice = {a["id"] for a in result.advice}
    assert {"limit_caffeine_after_noon", "no_intense_exercise_3h_before_bed"} <= advice


def test_partner_reports_periodic_kicks(knowledge):
    """shared/sources/002: rhythmic kicks every 20-40 s seen by a partner suggest PLMD."""
    result = assess({"age_years": 52, "timing": ["asleep"], "pattern": "rhythmic",
                     "interval_seconds": 30, "body_parts": ["legs"], "disturbs_sleep": True,
                     "daytime_sleepiness": True}, knowledge)
    assert result.triage == "routine_visit"
    assert result.conditions[0]["id"] == "periodic_limb_movement_disorder"


def test_restless_legs_criteria(knowledge):
    """shared/sources/001 and the IRLSSG criteria: urge to move, worse at rest and in the
    evening, relieved by moving."""
    result = assess({"age_years": 45, "timing": ["awake", "falling_asleep"], "body_parts": ["legs"],
                     "urge_to_move": True, "urge_worse_at_rest": True,
                     "urge_relieved_by_moving": True, "urge_worse_evening": True,
                     "sensations": ["crawling"]}, knowledge)
    assert result.conditions[0]["id"] == "restless_legs_syndrome"
    assert result.triage == "routine_visit"


def test_older_adult_with_rapid_decline_is_urgent(knowledge):
    """shared/sources/001: CJD - progressive cognitive change with jerks, usually after 60."""
    result = assess({"age_years": 66, "timing": ["asleep", "awake"], "body_parts": ["whole_body"],
                     "cognitive_decline": True, "progression": "rapid"}, knowledge)
    assert result.triage == "urgent"
    assert "creutzfeldt_jakob_disease" in [c["id"] for c in result.conditions[:3]]


def test_new_and_more_frequent_jerks_need_a_doctor(knowledge):
    """shared/sources/004: jerks that are new or getting more frequent -> talk to a provider."""
    result = assess({"age_years": 50, "timing": ["asleep", "falling_asleep"],
                     "getting_worse": True}, knowledge)
    assert RANK[result.triage] >= RANK["routine_visit"]
