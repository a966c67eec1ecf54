"""The knowledge base is data reviewed like code: schema, references, ids, vignettes."""

from __future__ import annotations

import shutil

import pytest

from sleeptwitch.knowledge import DATA_DIR, KnowledgeError, check_knowledge, load_knowledge
from sleeptwitch.triage import LEVELS, assess, intake_fields

RANK = {lv: i for i, lv in enumerate(LEVELS)}

DESIGN_CONDITIONS = [
    "hypnic_jerks", "benign_neonatal_sleep_myoclonus", "benign_myoclonus_of_early_infancy",
    "infantile_spasms", "periodic_limb_movement_disorder", "restless_legs_syndrome",
    "rhythmic_movement_disorder", "juvenile_myoclonic_epilepsy", "epileptic_myoclonus",
    "sleep_related_hypermotor_epilepsy", "self_limited_epilepsy_centrotemporal_spikes",
    "propriospinal_myoclonus", "excessive_fragmentary_myoclonus", "sleep_related_leg_cramps",
    "sleep_bruxism", "secondary_myoclonus", "essential_myoclonus", "restless_sleep_disorder",
    "creutzfeldt_jakob_disease", "physiological_sleep_twitches", "rem_sleep_behaviour_disorder",
    "nrem_parasomnia", "hyperekplexia", "sandifer_syndrome", "shuddering_attacks",
    "drug_induced_myoclonus",
]


def test_bundled_knowledge_is_sound(knowledge):
    problems = check_knowledge(knowledge, fields=intake_fields())
    assert problems == [], "\n".join(problems)


def test_every_design_condition_exists(knowledge):
    missing = [c for c in DESIGN_CONDITIONS if c not in knowledge.conditions]
    assert missing == []


def test_every_intake_field_has_a_question(knowledge):
    asked_by_cli = {"age_months", "age_years", "audience"}
    missing = [f for f in intake_fields() if f not in knowledge.questions and f not in asked_by_cli]
    assert missing == []


def test_every_rule_has_vignettes_that_fire_and_do_not(knowledge):
    for table in (knowledge.red_flags, knowledge.rules, knowledge.triggers):
        for rid, item in table.items():
            outcomes = {v["expect"].get("fires") for v in item["vignettes"]}
            assert True in outcomes and False in outcomes, rid


def _vignettes(kind):
    k = load_knowledge()
    table = getattr(k, kind)
    return [pytest.param(item_id, v, id=f"{item_id}:{v['name']}")
            for item_id, item in sorted(table.items()) for v in item["vignettes"]]


def _check_expectation(item_id, vignette, knowledge):
    result = assess(vignette["intake"], knowledge)
    exp = vignette["expect"]
    live = [c["id"] for c in result.conditions]
    trace = {t["id"]: t for t in result.trace if "id" in t}
    if "fires" in exp:
        assert trace[item_id]["result"] is exp["fires"], (item_id, trace[item_id])
    if "asks" in exp:
        assert exp["asks"] in [q["field"] for q in result.next_questions], result.next_questions
    if "triage" in exp:
        assert result.triage == exp["triage"]
    if "triage_at_least" in exp:
        assert RANK[result.triage] >= RANK[exp["triage_at_least"]], result.triage
    if "triage_at_most" in exp:
        assert RANK[result.triage] <= RANK[exp["triage_at_most"]], result.triage
    if "top" in exp:
        assert live[:1] == [exp["top"]], [(c["id"], c["score"]) for c in result.conditions]
    for cid in exp.get("in_top", ()):
        assert cid in live[:3], [(c["id"], c["score"]) for c in result.conditions]
    if "not_in_top" in exp:
        assert exp["not_in_top"] not in live[:1]
    if "excluded" in exp:
        assert trace[exp["excluded"]]["excluded"] is True
    if "red_flag" in exp:
        assert exp["red_flag"] in [rf["id"] for rf in result.red_flags]


@pytest.mark.parametrize(("item_id", "vignette"), _vignettes("conditions"))
def test_condition_vignettes(item_id, vignette, knowledge):
    _check_expectation(item_id, vignette, knowledge)


@pytest.mark.parametrize(("item_id", "vignette"),
                         _vignettes("red_flags") + _vignettes("rules") + _vignettes("triggers"))
def test_rule_vignettes(item_id, vignette, knowledge):
    _check_expectation(item_id, vignette, knowledge)


# -- the checker itself catches broken knowledge ------------------------------------------------

@pytest.fixture()
def knowledge_copy(tmp_path):
    root = tmp_path / "kb"
    shutil.copytree(DATA_DIR, root)
    return root


def test_broken_reference_is_reported(knowledge_copy):
    path = knowledge_copy / "conditions" / "hypnic_jerks.yaml"
    path.write_text(path.read_text().replace(
        "references: [leg_twitch_before_sleep_scott]", "references: [no_such_source]", 1))
    problems = check_knowledge(load_knowledge(knowledge_copy), fields=intake_fields())
    assert any("no_such_source" in p and "citations.yaml" in p for p in problems)


def test_duplicate_id_is_refused(knowledge_copy):
    src = knowledge_copy / "conditions" / "hypnic_jerks.yaml"
    (knowledge_copy / "red_flags" / "hypnic_jerks.yaml").write_text(src.read_text())
    with pytest.raises(KnowledgeError, match="duplicate id 'hypnic_jerks'"):
        load_knowledge(knowledge_copy)


def test_rule_without_vignettes_is_reported(knowledge_copy):
    path = knowledge_copy / "red_flags" / "rf_jerks_while_awake.yaml"
    text = path.read_text()
    path.write_text(text[: text.index("vignettes:")])
    problems = check_knowledge(load_knowledge(knowledge_copy), fields=intake_fields())
    assert any("rf_jerks_while_awake.yaml" in p and "vignettes" in p for p in problems)


def test_unknown_intake_field_in_expression_is_reported(knowledge_copy):
    path = knowledge_copy / "red_flags" / "rf_jerks_while_awake.yaml"
    path.write_text(path.read_text().replace("- {field: timing,", "- {field: timming,"))
    problems = check_knowledge(load_knowledge(knowledge_copy), fields=intake_fields())
    assert any("unknown intake field" in p and "got 'timming'. Did you mean 'timing'?" in p
               for p in problems)


def test_unknown_value_in_expression_is_reported(knowledge_copy):
    path = knowledge_copy / "red_flags" / "rf_jerks_while_awake.yaml"
    path.write_text(path.read_text().replace("contains_any: [awake]}", "contains_any: [wake]}", 1))
    problems = check_knowledge(load_knowledge(knowledge_copy), fields=intake_fields())
    assert any("Invalid value for 'timing'" in p and "got 'wake'" in p for p in problems)


def test_id_must_match_file_name(knowledge_copy):
    src = knowledge_copy / "advice" / "limit_caffeine_after_noon.yaml"
    src.rename(src.with_name("other_name.yaml"))
    with pytest.raises(KnowledgeError, match="must match the file name"):
        load_knowledge(knowledge_copy)


def test_invalid_yaml_names_the_file(knowledge_copy):
    (knowledge_copy / "advice" / "broken.yaml").write_text("id: broken\ntext: [unclosed\n")
    with pytest.raises(KnowledgeError, match="broken.yaml: not valid YAML"):
        load_knowledge(knowledge_copy)


def test_every_red_flag_is_at_least_the_possible_cap(knowledge):
    """The engine's monotonicity argument rests on this: see engine.yaml possible_level_cap."""
    cap = RANK[knowledge.engine["possible_level_cap"]]
    low = [rid for rid, rf in knowledge.red_flags.items() if RANK[rf["level"]] < cap]
    assert low == []


def test_cache_is_rebuilt_when_a_file_changes(knowledge_copy):
    first = load_knowledge(knowledge_copy)
    again = load_knowledge(knowledge_copy)  # from the cache
    assert again.version == first.version
    assert again.conditions["hypnic_jerks"] == first.conditions["hypnic_jerks"]
    path = knowledge_copy / "conditions" / "hypnic_jerks.yaml"
    path.write_text(path.read_text().replace("prior: 1", "prior: 2"))
    changed = load_knowledge(knowledge_copy)
    assert changed.conditions["hypnic_jerks"]["prior"] == 2
    assert changed.version != first.version


def test_corrupt_cache_is_ignored(knowledge_copy, monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    load_knowledge(knowledge_copy)
    for f in (tmp_path / "cache" / "sleeptwitch").glob("*.pickle"):
        f.write_bytes(b"not a pickle")
    assert "hypnic_jerks" in load_knowledge(knowledge_copy).conditions
