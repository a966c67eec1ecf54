"""Agreement between two sets of leg-movement events (detector vs expert, expert vs expert)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__ = ["match_events", "compare_indices"]

INDEX_KEYS = ("lm_index", "candidate_lm_index", "clm_index", "plms_index", "plms_nr_index",
              "plmw_index", "periodicity_index")


def match_events(detected: pd.DataFrame, reference: pd.DataFrame, *,
                 onset_tolerance_s: float = 0.5) -> dict[str, Any]:
    """Match LMs one to one: same side, overlapping, onsets within ``onset_tolerance_s``.

    Each reference event takes the nearest-onset unmatched detected event that qualifies
    (greedy in time order). Returns counts, precision, recall, F1 and the median onset error.
    """
    tp = 0
    errors: list[float] = []
    for side in sorted(set(detected["side"]) | set(reference["side"])):
        d = detected[detected["side"] == side].sort_values("onset")
        r = reference[reference["side"] == side].sort_values("onset")
        d_on, d_off = d["onset"].to_numpy(float), (d["onset"] + d["duration"]).to_numpy(float)
        used = np.zeros(len(d), dtype=bool)
        for on, dur in zip(r["onset"].to_numpy(float), r["duration"].to_numpy(float),
                           strict=True):  # per event
            lo = np.searchsorted(d_on, on - onset_tolerance_s, side="left")
            hi = np.searchsorted(d_on, on + onset_tolerance_s, side="right")
            best, best_err = -1, np.inf
            for j in range(lo, hi):
                overlap = d_on[j] < on + dur and d_off[j] > on
                if not used[j] and overlap and abs(d_on[j] - on) < best_err:
                    best, best_err = j, abs(d_on[j] - on)
            if best >= 0:
                used[best] = True
                tp += 1
                errors.append(best_err)
    n_det, n_ref = len(detected), len(reference)
    precision = tp / n_det if n_det else (1.0 if n_ref == 0 else 0.0)
    recall = tp / n_ref if n_ref else (1.0 if n_det == 0 else 0.0)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"n_detected": n_det, "n_reference": n_ref, "true_positives": tp,
            "false_positives": n_det - tp, "false_negatives": n_ref - tp,
            "precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4),
            "median_onset_error_s": round(float(np.median(errors)), 3) if errors else None}


def compare_indices(detected: dict[str, Any], reference: dict[str, Any]) -> dict[str, Any]:
    """Differences (detected - reference) of the indices both summaries have."""
    out = {}
    for key in INDEX_KEYS:
        a, b = detected.get(key), reference.get(key)
        if a is not None and b is not None:
            out[key] = {"detected": a, "reference": b, "difference": round(a - b, 3)}
    return out
