"""Three-valued logic: not known is never read as no."""

from sleeptwitch.triage import evaluate
from sleeptwitch.triage._logic import unknown_fields

FACTS = {"timing": ("asleep",), "stops_when_woken": None, "age_months": 4, "pattern": None}


def test_unknown_field_gives_unknown():
    assert evaluate({"field": "stops_when_woken", "is": False}, FACTS) is None
    assert evaluate({"field": "stops_when_woken", "is": True}, FACTS) is None


def test_answered_field_gives_true_or_false():
    assert evaluate({"field": "timing", "contains_any": ["asleep"]}, FACTS) is True
    assert evaluate({"field": "timing", "contains_any": ["awake"]}, FACTS) is False
    assert evaluate({"field": "timing", "contains_only": ["asleep"]}, FACTS) is True


def test_kleene_all_and_any():
    unknown = {"field": "pattern", "eq": "rhythmic"}
    true = {"field": "age_months", "lt": 12}
    false = {"field": "age_months", "gt": 12}
    assert evaluate({"all": [unknown, false]}, FACTS) is False
    assert evaluate({"all": [unknown, true]}, FACTS) is None
    assert evaluate({"any": [unknown, true]}, FACTS) is True
    assert evaluate({"any": [unknown, false]}, FACTS) is None
    assert evaluate({"not": unknown}, FACTS) is None


def test_known_operator_is_always_decided():
    assert evaluate({"field": "pattern", "known": False}, FACTS) is True
    assert evaluate({"field": "timing", "known": True}, FACTS) is True


def test_unknown_fields_only_follow_undecided_parts():
    expr = {"any": [{"all": [{"field": "age_months", "gt": 12}, {"field": "pattern", "eq": "x"}]},
                    {"field": "stops_when_woken", "is": False}]}
    assert unknown_fields(expr, FACTS) == ["stops_when_woken"]


def test_rule_reference_reads_earlier_result():
    assert evaluate({"rule": "rf_x"}, FACTS, {"rf_x": True}) is True
    assert evaluate({"rule": "rf_x"}, FACTS, {"rf_x": None}) is None
