"""Hypothesis strategies for random but valid intakes."""

from __future__ import annotations

from hypothesis import strategies as st

from sleeptwitch.triage import intake_fields
from sleeptwitch.triage._intake import LIST_FIELDS

_NUMBER_RANGES = {
    "interval_seconds": (1, 300), "movement_duration_seconds": (0.1, 600),
    "episodes_per_night": (0, 200), "nights_per_week": (0, 7), "events_per_hour": (0, 120),
    "duration_months": (0, 240), "episodes_per_day": (0, 100), "movements_per_cluster": (1, 100),
    "bout_duration_minutes": (1, 120), "workup.plms_index": (0, 120), "workup.ahi": (0, 80),
    "workup.ferritin_ug_l": (1, 500),
}
_SKIP = {"age_months", "age_years", "audience", "onset_age_months"}


def _value(field: str, vocab):
    if vocab is not None:
        if field in LIST_FIELDS:  # an empty list is "none of these"
            return st.lists(st.sampled_from(vocab), min_size=0, max_size=3, unique=True)
        return st.sampled_from(vocab)
    if field in _NUMBER_RANGES:
        lo, hi = _NUMBER_RANGES[field]
        return st.floats(min_value=lo, max_value=hi, allow_nan=False).map(lambda x: round(x, 1))
    return st.booleans()


FIELDS = {f: v for f, v in intake_fields().items() if f not in _SKIP}


@st.composite
def intakes(draw, max_fields: int = 12):
    data: dict = {}
    if draw(st.booleans()):
        data["age_months"] = draw(st.integers(min_value=0, max_value=36))
    else:
        data["age_years"] = draw(st.integers(min_value=3, max_value=95))
    data["audience"] = draw(st.sampled_from(["parent", "patient", "clinician"]))
    chosen = draw(st.lists(st.sampled_from(sorted(FIELDS)), max_size=max_fields, unique=True))
    for field in chosen:
        value = draw(_value(field, FIELDS[field]))
        if "." in field:
            group, name = field.split(".")
            data.setdefault(group, {})[name] = value
        else:
            data[field] = value
    return data
