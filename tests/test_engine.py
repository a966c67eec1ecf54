"""Properties of assess(): safety, determinism, citations, and not-known-is-never-no."""

from __future__ import annotations

import copy
import json
import random

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from sleeptwitch.triage import LEVELS, assess, parse_intake
from sleeptwitch.triage._engine import facts_of
from sleeptwitch.triage._logic import evaluate, expression_fields

from .strategies import intakes

RANK = {lv: i for i, lv in enumerate(LEVELS)}
SETTINGS = settings(max_examples=150, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def _set(data, field, value):
    if "." in field:
        group, name = field.split(".")
        data.setdefault(group, {})[name] = value
    else:
        data[field] = value


def _get(data, field):
    if "." in field:
        group, name = field.split(".")
        return data.get(group, {}).get(name)
    return data.get(field)


def satisfy(expr, data, rules=None):
    """Add findings to ``data`` so that ``expr`` becomes true: answer unknowns, turn a "no" into
    a "yes", extend lists. Return False if that is not possible without changing the age or
    another answer already given."""
    if "all" in expr:
        return all(satisfy(e, data, rules) for e in expr["all"])
    if "any" in expr:
        for e in expr["any"]:
            trial = copy.deepcopy(data)
            if satisfy(e, trial, rules):
                data.clear()
                data.update(trial)
                return True
        return False
    if "not" in expr or "rule" in expr:
        return False
    field = expr["field"]
    if field in ("age_months", "age_years", "audience"):
        try:
            facts = facts_of(parse_intake(data))
        except ValueError:
            return False
        return evaluate(expr, facts) is True
    current = _get(data, field)
    if current is not None and not isinstance(current, (bool, list)):
        # A known scalar answer (pattern, a number) is part of the case: changing it makes a
        # different case rather than adding a red flag to this one.
        try:
            facts = facts_of(parse_intake(data))
        except ValueError:
            return False
        return evaluate(expr, facts) is True
    for op, arg in expr.items():
        if op == "field":
            continue
        if op in ("is", "eq"):
            current = arg
        elif op == "in":
            current = arg[0]
        elif op in ("contains_any",):
            current = list(dict.fromkeys([*(current or []), arg[0]]))
        elif op == "contains_all":
            current = list(dict.fromkeys([*(current or []), *arg]))
        elif op == "contains_only":
            current = [arg[0]]
        elif op in ("gt", "ge"):
            current = max(current or 0, arg + (1 if op == "gt" else 0))
        elif op in ("lt", "le"):
            current = arg - 1 if op == "lt" else arg
            if current < 0:
                current = arg / 2
        elif op == "known" and arg is False:
            return False
    _set(data, field, current)
    return True


def _red_flags(knowledge):
    return sorted(knowledge.red_flags)


def _with_red_flag(knowledge, data, rid):
    """The intake with red flag ``rid`` added, and its assessment; skips cases where the flag
    cannot be added without changing the case."""
    patched = copy.deepcopy(data)
    assume(satisfy(knowledge.red_flags[rid]["when"], patched))
    try:
        result = assess(patched, knowledge)
    except ValueError:
        assume(False)
    assume(rid in [rf["id"] for rf in result.red_flags])
    return patched, result


@SETTINGS
@given(data=intakes(), flag=st.data())
def test_adding_a_red_flag_never_lowers_the_level(knowledge, data, flag):
    rid = flag.draw(st.sampled_from(_red_flags(knowledge)))
    before = assess(data, knowledge)
    _, after = _with_red_flag(knowledge, data, rid)
    assert RANK[after.triage] >= RANK[before.triage], (rid, before.triage, after.triage)
    assert RANK[after.triage] >= RANK[knowledge.red_flags[rid]["level"]]


@SETTINGS
@given(data=intakes(), seed=st.integers(0, 2**16))
def test_result_does_not_depend_on_field_or_list_order(knowledge, data, seed):
    rng = random.Random(seed)
    items = list(data.items())
    rng.shuffle(items)
    shuffled = {k: (rng.sample(v, len(v)) if isinstance(v, list) else v) for k, v in items}
    a = assess(data, knowledge).to_dict()
    b = assess(shuffled, knowledge).to_dict()
    a.pop("intake"), b.pop("intake")
    for result in (a, b):
        for t in result["trace"]:
            t.get("findings", {}).clear()
        for section in ("red_flags", "rules"):
            for item in result[section]:
                item.pop("findings")
        for c in result["conditions"]:
            for r in c["reasons"]:
                r.pop("finding")
    assert json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


@SETTINGS
@given(data=intakes())
def test_every_shown_sentence_has_a_resolvable_citation(knowledge, data):
    result = assess(data, knowledge).to_dict()
    listed = {c["id"] for c in result["citations"]}
    assert listed <= set(knowledge.citations)
    shown = [*result["red_flags"], *result["rules"], *result["advice"], *result["avoid"],
             *result["next_questions"], *result["summary"]["triggers"], *result["watch_for"]]
    for c in result["conditions"]:
        shown.append(c)
        shown.extend(c["reasons"])
    for item in shown:
        assert item["citations"], item
        assert set(item["citations"]) <= listed, item


@SETTINGS
@given(data=intakes())
def test_same_input_same_output(knowledge, data):
    assert assess(data, knowledge).to_dict() == assess(copy.deepcopy(data), knowledge).to_dict()


@SETTINGS
@given(data=intakes(), flag=st.data())
def test_an_unanswered_red_flag_question_is_asked(knowledge, data, flag):
    """Not known is never no: drop the answers a fired red flag rests on, and the result must
    either still reach that level or ask the question that would raise it."""
    rid = flag.draw(st.sampled_from(_red_flags(knowledge)))
    patched, _ = _with_red_flag(knowledge, data, rid)
    level = knowledge.red_flags[rid]["level"]
    for field in sorted(expression_fields(knowledge.red_flags[rid]["when"])):
        if field in ("age_months", "age_years", "audience"):
            continue
        dropped = copy.deepcopy(patched)
        _set(dropped, field, None)
        dropped = {k: v for k, v in dropped.items() if v is not None}
        result = assess(dropped, knowledge)
        if RANK[result.triage] >= RANK[level]:
            continue
        question = knowledge.questions[field]
        if result.audience not in question.get("audiences", (result.audience,)):
            continue  # e.g. EEG details are asked of clinicians only
        if "ask_if" in question and evaluate(question["ask_if"], facts_of(
                parse_intake(dropped))) is False:
            continue  # a question that cannot apply to this person (e.g. development at 18)
        raising = {q["field"]: q["could_raise_to"] for q in result.next_questions}
        assert field in raising, (rid, field, result.triage)
        assert RANK[raising[field]] >= RANK[level]
        assert result.provisional


NORMAL_RESULTS = [
    {"eeg": "normal"},
    {"eeg": "normal", "eeg_during_event": True},
    {"labs_normal": True},
    {"mri": "normal"},
    {"eeg": "normal", "eeg_during_event": True, "labs_normal": True, "mri": "normal"},
]


@SETTINGS
@given(data=intakes(), which=st.sampled_from(NORMAL_RESULTS))
def test_a_normal_test_result_never_raises_the_level(knowledge, data, which):
    workup = data.get("workup", {})
    assume(not ({"eeg", "eeg_pattern", "eeg_during_event", "labs_normal", "mri"} & set(workup)))
    assume(not data.get("eeg_abnormal"))
    before = assess(data, knowledge)
    after = assess({**data, "workup": {**workup, **which}}, knowledge)
    assert RANK[after.triage] <= RANK[before.triage], (which, before.triage, after.triage)


def test_a_normal_eeg_during_an_episode_sets_aside_the_epilepsy_flag(knowledge):
    child = {"age_years": 9, "audience": "clinician", "timing": ["asleep", "awake"],
             "urge_to_move": False}
    before = assess(child, knowledge)
    after = assess({**child, "workup": {"eeg": "normal", "eeg_during_event": True}}, knowledge)
    assert "rf_child_jerks_while_awake" in [r["id"] for r in before.red_flags]
    assert "rf_child_jerks_while_awake" not in [r["id"] for r in after.red_flags]
    shown = after.summary["set_aside"]
    assert shown[0]["id"] == "rf_child_jerks_while_awake" and shown[0]["citations"]
    # A normal EEG between episodes is not enough to set it aside.
    between = assess({**child, "workup": {"eeg": "normal", "eeg_during_event": False}},
                     knowledge)
    assert "rf_child_jerks_while_awake" in [r["id"] for r in between.red_flags]


def test_unknown_is_not_no_for_an_infant(knowledge):
    """Age alone: nothing is known, so the result must ask, not assume."""
    result = assess({"age_months": 4}, knowledge)
    assert result.next_questions
    assert result.provisional


@pytest.mark.parametrize("audience", ["parent", "patient", "clinician"])
def test_audience_changes_words_not_verdict(knowledge, audience):
    intake = {"age_years": 34, "timing": ["falling_asleep"], "pattern": "single_jerk"}
    base = assess(intake, knowledge)
    result = assess(intake, knowledge, audience=audience)
    assert result.audience == audience
    assert result.triage == base.triage
    assert [c["id"] for c in result.conditions] == [c["id"] for c in base.conditions]


def test_trace_explains_which_finding_fired_which_rule(knowledge):
    result = assess({"age_months": 5, "timing": ["asleep", "awake"]}, knowledge)
    step = next(t for t in result.trace if t.get("id") == "rf_infant_jerks_while_awake")
    assert step["result"] is True
    assert step["findings"]["timing"] == ["asleep", "awake"]
    assert step["references"]
    triage = next(t for t in result.trace if t["step"] == "triage")
    assert {"level": "prompt_evaluation", "from": "rf_infant_jerks_while_awake"} in (
        triage["contributions"])
