"""PLM scoring from given LM events: exact counts, rule differences, and invariants."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sleeptwitch.scoring import EVENT_COLUMNS, load_rules, match_events, score_leg_movements


def lms(rows):
    return pd.DataFrame(rows, columns=["onset", "duration", "side"])


def hyp(n_epochs, stage="N2", wake_first=0):
    return np.array(["W"] * wake_first + [stage] * (n_epochs - wake_first), dtype=object)


def test_a_train_of_four_is_a_series_under_both_rules():
    events = lms([(100 + 20 * i, 2.0, "left") for i in range(4)])
    for rules in ("wasm2016", "aasm"):
        s = score_leg_movements(events, rules=rules, hypnogram=hyp(20)).indices
        assert (s["n_lm"], s["n_clm"], s["n_plms"]) == (4, 4, 4)


def test_three_is_not_a_series():
    s = score_leg_movements(lms([(100 + 20 * i, 2.0, "left") for i in range(3)]),
                            hypnogram=hyp(20)).indices
    assert s["n_plms"] == 0 and s["n_clm"] == 3


def test_intervals_of_7_s_split_the_rules():
    """IMI 5-90 s (AASM) versus 10-90 s (WASM)."""
    events = lms([(100 + 7 * i, 1.0, "left") for i in range(5)])
    assert score_leg_movements(events, rules="aasm", hypnogram=hyp(20)).indices["n_plms"] == 5
    assert score_leg_movements(events, rules="wasm2016",
                               hypnogram=hyp(20)).indices["n_plms"] == 0


def test_long_movement_breaks_a_wasm_series():
    rows = [(100, 2, "left"), (120, 2, "left"), (140, 12, "left"), (160, 2, "left"),
            (180, 2, "left")]
    s = score_leg_movements(lms(rows), rules="wasm2016", hypnogram=hyp(20)).indices
    assert s["n_lm"] == 5 and s["n_clm"] == 4 and s["n_plms"] == 0
    # AASM: a 12-s movement is not an LM at all, so the other four form a series
    a = score_leg_movements(lms(rows), rules="aasm", hypnogram=hyp(20)).indices
    assert a["n_lm"] == 4 and a["n_plms"] == 4


def test_bilateral_merging_differs_between_rules():
    rows = [(100, 1.0, "left"), (103, 1.0, "right")]   # 2 s apart offset-to-onset, onsets 3 s
    wasm = score_leg_movements(lms(rows), rules="wasm2016", hypnogram=hyp(10))
    aasm = score_leg_movements(lms(rows), rules="aasm", hypnogram=hyp(10))
    assert wasm.indices["n_clm"] == 2
    assert aasm.indices["n_clm"] == 1
    clm = aasm.events[aasm.events["type"] == "clm"]
    assert clm["side"].tolist() == ["bilateral"]


def test_wasm_bilateral_limits():
    # 5 one-leg LMs chained into one bilateral event: more than 4, so not a CLM
    rows = [(100, 1.0, "left"), (100.8, 1.0, "right"), (101.6, 1.0, "left"),
            (102.4, 1.0, "right"), (103.2, 1.0, "left")]
    s = score_leg_movements(lms(rows), rules="wasm2016", hypnogram=hyp(10))
    assert s.indices["n_clm"] == 0
    assert (s.events["type"] == "non_clm").sum() == 1


def test_wasm_bilateral_with_a_long_member_is_a_non_clm_and_ends_a_series():
    """Rule (a): a bilateral candidate is a non-CLM when any one-leg LM in it lasts over 10 s,
    even though the candidate itself is within 15 s (PLMScoRe ``lm_bil``)."""
    rows = [(100, 2.0, "left"), (120, 2.0, "left"), (140, 10.5, "left"), (140.2, 2.0, "right"),
            (160, 2.0, "left"), (180, 2.0, "left"), (200, 2.0, "left"), (220, 2.0, "left")]
    s = score_leg_movements(lms(rows), rules="wasm2016", hypnogram=hyp(20))
    cand = s.events[s.events["type"].isin(["clm", "non_clm"])]
    long_one = cand[cand["onset"] == 140]
    assert long_one["side"].tolist() == ["bilateral"] and not long_one["is_clm"].item()
    assert long_one["duration"].item() == pytest.approx(10.5)
    assert s.indices["n_plms"] == 4                      # 100, 120 | non-CLM | 160 ... 220
    # the same movement with a 9.5-s member is a CLM and the series runs through
    rows[2] = (140, 9.5, "left")
    assert score_leg_movements(lms(rows), hypnogram=hyp(20)).indices["n_plms"] == 7


def test_wasm_respiratory_non_clm_still_ends_a_plmnr_series():
    """Rule (b), the other half: only rCLMs are taken out for PLMnr; a non-CLM near a
    respiratory event stays in the sequence and ends the series, as in PLMScoRe."""
    rows = [(100 + 20 * i, 12.0 if i == 3 else 2.0, "left") for i in range(8)]
    resp = pd.DataFrame({"onset": [150.0], "duration": [8.0]})    # window 156-168.25
    s = score_leg_movements(lms(rows), rules="wasm2016", hypnogram=hyp(20), respiratory=resp)
    assert s.indices["n_plms"] == 4 and s.indices["n_plms_nr"] == 4   # 180 ... 240


def test_aasm_a_combined_movement_over_10_s_counts_and_keeps_the_series():
    """Rule (c): AASM's 10 s is each leg's limit. Two legs counted as one movement may last
    longer (here 13 s); it is counted, and nothing about it ends a series."""
    rows = [(100, 2.0, "left"), (120, 2.0, "left"), (140, 8.0, "left"), (144, 9.0, "right"),
            (160, 2.0, "left"), (180, 2.0, "left")]
    s = score_leg_movements(lms(rows), rules="aasm", hypnogram=hyp(20))
    cand = s.events[s.events["type"].isin(["clm", "non_clm"])]
    assert cand["type"].eq("clm").all()
    assert cand[cand["onset"] == 140]["duration"].item() == pytest.approx(13.0)
    assert (s.indices["n_lm"], s.indices["n_candidate_lm"], s.indices["n_plms"]) == (6, 5, 5)


def test_aasm_joins_only_lms_of_different_legs():
    """Rule (d): an LM of the other leg with an onset less than 5 s later counts with it as one
    movement; a second LM of the same leg is a movement of its own."""
    same_leg = score_leg_movements(lms([(100, 1.0, "left"), (103, 1.0, "left")]), rules="aasm",
                                   hypnogram=hyp(10))
    assert same_leg.indices["n_candidate_lm"] == 2
    mixed = score_leg_movements(lms([(100, 1.0, "left"), (102, 1.0, "right"),
                                     (103, 1.0, "left"), (105, 1.0, "right")]),
                                rules="aasm", hypnogram=hyp(10))
    cand = mixed.events[mixed.events["type"] == "clm"]
    assert cand["onset"].tolist() == [100, 103] and cand["side"].tolist() == ["bilateral"] * 2
    assert cand["n_lms"].tolist() == [2, 2]
    # onsets exactly 5 s apart are not "less than 5 s"
    apart = score_leg_movements(lms([(100, 1.0, "left"), (105, 1.0, "right")]), rules="aasm",
                                hypnogram=hyp(10))
    assert apart.indices["n_candidate_lm"] == 2


def test_aasm_respiratory_exclusion_applies_to_the_movement_as_counted():
    """Rule (d), second half: the left LM ends 4.8 s before the window (105.8 s) starts, but
    it counts as one movement with the right LM that reaches into it; the movement is not
    scored, neither LM of it."""
    rows = [(100, 1.0, "left"), (104, 2.0, "right"), (150, 1.0, "left")]
    resp = pd.DataFrame({"onset": [106.3], "duration": [14.0]})
    s = score_leg_movements(lms(rows), rules="aasm", hypnogram=hyp(10), respiratory=resp)
    assert (s.indices["n_lm"], s.indices["n_candidate_lm"]) == (1, 1)
    assert s.events["onset"].tolist() == [150, 150]


def test_lm_index_counts_single_leg_lms_and_candidate_lm_index_movements():
    rows = [(100, 1.0, "left"), (100.2, 1.0, "right"), (200, 1.0, "left")]
    for rules in ("wasm2016", "aasm"):
        s = score_leg_movements(lms(rows), rules=rules, hypnogram=hyp(120)).indices
        assert (s["n_lm"], s["n_candidate_lm"]) == (3, 2)
        assert s["lm_index"] == 3.0 and s["candidate_lm_index"] == 2.0    # per hour of sleep


def test_same_leg_merge_under_wasm():
    rows = [(100, 1.0, "left"), (101.3, 1.0, "left")]   # 0.3 s apart
    s = score_leg_movements(lms(rows), rules="wasm2016", hypnogram=hyp(10))
    assert s.indices["n_lm"] == 1
    assert s.events[s.events["type"] == "lm"]["duration"].iloc[0] == pytest.approx(2.3)


def test_respiratory_flag_and_plmnr_under_wasm():
    events = lms([(100 + 20 * i, 2.0, "left") for i in range(8)])
    resp = pd.DataFrame({"onset": [150.0], "duration": [8.0]})    # ends 158; window 156-168.25
    s = score_leg_movements(events, rules="wasm2016", hypnogram=hyp(20), respiratory=resp)
    assert s.indices["n_plms"] == 8
    # the rCLM at 160 is taken out and the IMI 140 -> 180 (40 s) recomputed: no break
    assert s.indices["n_plms_nr"] == 7
    flagged = s.events[(s.events["type"] == "clm") & s.events["respiratory_related"]]
    assert flagged["onset"].tolist() == [160.0]


def test_aasm_excludes_lms_next_to_respiratory_events():
    events = lms([(100, 2.0, "left"), (157.8, 2.0, "left"), (170, 2.0, "left")])
    resp = pd.DataFrame({"onset": [150.0], "duration": [8.0]})    # 149.5-158.5 excluded
    s = score_leg_movements(events, rules="aasm", hypnogram=hyp(20), respiratory=resp)
    assert s.indices["n_lm"] == 2


def test_arousal_association():
    events = lms([(100, 2.0, "left"), (200, 2.0, "left")])
    arousals = pd.DataFrame({"onset": [102.3], "duration": [5.0]})
    ev = score_leg_movements(events, hypnogram=hyp(20), arousals=arousals).events
    clm = ev[ev["type"] == "clm"]
    assert clm["arousal_related"].tolist() == [True, False]


def test_indices_use_sleep_time_and_wake_for_plmw():
    # 10 epochs wake (5 min) then 110 epochs N2 (55 min); a series in wake and one in sleep
    rows = [(10 + 20 * i, 1.0, "left") for i in range(4)]
    rows += [(600 + 20 * i, 1.0, "left") for i in range(11)]
    s = score_leg_movements(lms(rows), hypnogram=hyp(120, wake_first=10)).indices
    assert s["total_sleep_time_h"] == pytest.approx(55 / 60, abs=1e-3)
    assert s["plms_index"] == pytest.approx(round(11 / (55 / 60), 2))
    assert s["plmw_index"] == pytest.approx(round(4 / (5 / 60), 2))


def test_without_hypnogram_the_whole_recording_counts_and_says_so():
    s = score_leg_movements(lms([(100 + 20 * i, 2.0, "left") for i in range(4)]),
                            duration_s=3600)
    assert s.indices["total_sleep_time_h"] == 1.0 and s.indices["plms_index"] == 4.0
    assert any("no sleep staging" in w for w in s.warnings)


def test_nothing_found_is_an_empty_table_with_the_same_columns():
    s = score_leg_movements(lms([]), hypnogram=hyp(10))
    assert list(s.events.columns) == EVENT_COLUMNS and s.events.empty
    assert s.indices["plms_index"] == 0.0


def test_lm_rows_are_kept_beside_candidates():
    rows = [(100, 1.0, "left"), (100.2, 1.0, "right")]
    ev = score_leg_movements(lms(rows), hypnogram=hyp(10)).events
    assert ev["type"].value_counts().to_dict() == {"lm": 2, "clm": 1}
    assert list(ev.columns[:4]) == ["onset", "duration", "type", "side"]


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="'side' column"):
        score_leg_movements(pd.DataFrame({"onset": [1.0], "duration": [1.0]}), duration_s=60)
    with pytest.raises(ValueError, match="must be 'left' or 'right'"):
        score_leg_movements(lms([(1, 1, "both")]), duration_s=60)
    with pytest.raises(ValueError, match="Did you mean 'wasm2016'"):
        load_rules("wasm")


# -- invariants ---------------------------------------------------------------------------------

@st.composite
def nights(draw):
    n = draw(st.integers(0, 60))
    onsets = np.cumsum(draw(st.lists(st.floats(0.6, 120), min_size=n, max_size=n)))
    rows = [(30 + float(o), draw(st.floats(0.5, 12)), draw(st.sampled_from(["left", "right"])))
            for o in onsets]
    n_epochs = int((30 + (onsets[-1] if n else 0)) // 30) + 4
    stages = draw(st.lists(st.sampled_from(["W", "N1", "N2", "N3", "R"]), min_size=n_epochs,
                           max_size=n_epochs))
    return lms(rows), np.array(stages, dtype=object)


PROPS = settings(max_examples=60, deadline=None)


@PROPS
@given(night=nights(), rules=st.sampled_from(["wasm2016", "aasm"]))
def test_plm_le_clm_le_lm(night, rules):
    events, hypno = night
    s = score_leg_movements(events, rules=rules, hypnogram=hypno).indices
    assert s["n_plms"] <= s["n_plm"] <= s["n_clm"] <= s["n_candidate_lm"] <= s["n_lm"]
    assert s["n_plms_nr"] <= s["n_clm"]
    if rules == "aasm":   # no combined limit: every counted movement is a candidate for a series
        assert s["n_clm"] == s["n_candidate_lm"]


@PROPS
@given(night=nights(), rules=st.sampled_from(["wasm2016", "aasm"]), k=st.integers(1, 20))
def test_shifting_everything_in_time_leaves_indices_unchanged(night, rules, k):
    events, hypno = night
    shifted = events.assign(onset=events["onset"] + 30 * k)
    padded = np.concatenate([np.array(["?"] * k, dtype=object), hypno])
    a = score_leg_movements(events, rules=rules, hypnogram=hypno).indices
    b = score_leg_movements(shifted, rules=rules, hypnogram=padded).indices
    assert a == b


@PROPS
@given(night=nights(), rules=st.sampled_from(["wasm2016", "aasm"]), extra=st.integers(1, 200))
def test_appending_event_free_wake_leaves_plms_index_unchanged(night, rules, extra):
    events, hypno = night
    longer = np.concatenate([hypno, np.array(["W"] * extra, dtype=object)])
    a = score_leg_movements(events, rules=rules, hypnogram=hypno).indices
    b = score_leg_movements(events, rules=rules, hypnogram=longer).indices
    assert a["plms_index"] == b["plms_index"] and a["clm_index"] == b["clm_index"]


def test_match_events_counts():
    ref = lms([(10, 2, "left"), (50, 2, "left"), (90, 2, "right")])
    det = lms([(10.3, 2, "left"), (51, 2, "left"), (90.1, 1, "left"), (200, 1, "right")])
    m = match_events(det, ref)
    assert (m["true_positives"], m["false_positives"], m["false_negatives"]) == (1, 3, 2)
    assert m["f1"] == pytest.approx(2 / 7, abs=1e-3)


@pytest.mark.parametrize("rules", ["wasm2016", "aasm"])
def test_a_limit_is_not_decided_by_float_rounding(rules):
    """127.539444 + 0.5 - 127.539444 is a hair under 0.5 in floating point; a 0.5-s LM there is
    still an LM (and a lone LM keeps the duration it was given)."""
    events = lms([(127.539444, 0.5, "left"), (2000.25, 10.5, "right")])
    s = score_leg_movements(events, rules=rules, hypnogram=hyp(100))
    # over 10 s: an LM but not a CLM by WASM, not an LM at all by AASM
    assert s.indices["n_lm"] == {"wasm2016": 2, "aasm": 1}[rules]
    lm = s.events[s.events["type"] == "lm"]
    assert lm["duration"].iloc[0] == 0.5
    assert s.events[s.events["type"] == "clm"]["onset"].tolist() == [127.539444]


@pytest.mark.parametrize(("column", "value", "message"), [
    ("duration", np.nan, "LM duration must be a number of seconds .0 or more.; row 1 has nan"),
    ("duration", -1.0, "row 1 has -1.0"),
    ("onset", np.nan, "LM onset must be a number of seconds; row 1 has nan"),
    ("onset", np.inf, "row 1 has inf"),
])
def test_missing_or_impossible_times_are_refused_by_row(column, value, message):
    """A scored LM without its onset or duration (``n/a`` in a TSV) is an error naming the
    row, not an LM silently merged with or dropped from its neighbours."""
    events = lms([(100.0 + 20 * i, 2.0, "left") for i in range(6)])
    events.loc[1, column] = value
    with pytest.raises(ValueError, match=message):
        score_leg_movements(events, hypnogram=hyp(20))


def test_a_missing_side_is_refused_by_row():
    events = lms([(100, 2.0, "left"), (120, 2.0, "right")])
    events["side"] = pd.array(["left", None], dtype="string")
    with pytest.raises(ValueError, match="row 1 has <NA>"):
        score_leg_movements(events, hypnogram=hyp(20))
