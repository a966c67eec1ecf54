"""The value lists every part of sleeptwitch shares, and the one "allowed are ...; did you mean"
helper.

The intake (``sleeptwitch.triage``), the journal's exchange document and the report all name the
same things (when a movement happens, which body parts, who saw it, ...). Each list is defined here
once and imported everywhere else, so a value added here is accepted everywhere.
"""

from __future__ import annotations

import difflib
from collections.abc import Collection, Sequence
from typing import Any

__all__ = [
    "LEVELS", "AUDIENCES", "TIMING", "BODY_PARTS", "SIDES", "PATTERNS", "OBSERVERS",
    "SENSATIONS", "KNOWN_CONDITIONS", "MEDICATIONS", "SUBSTANCES", "FAMILY_HISTORY",
    "SEIZURE_FEATURES", "PROGRESSIONS", "EEG_RESULTS", "EEG_PATTERNS", "SCAN_RESULTS",
    "OptionError", "check_option", "did_you_mean",
]

#: Triage levels, lowest to highest (DESIGN.md).
LEVELS = ("reassure_self_care", "routine_visit", "prompt_evaluation", "urgent")
#: Whose words a result is written in.
AUDIENCES = ("parent", "patient", "clinician")
#: When the movements happen.
TIMING = ("falling_asleep", "asleep", "waking_up", "awake")
BODY_PARTS = ("feet", "legs", "arms", "hands", "fingers", "trunk", "abdomen", "whole_body",
              "head", "face", "eyes", "jaw")
SIDES = ("one_side", "both_sides")
PATTERNS = ("single_jerk", "random_twitches", "rhythmic", "clusters")
#: Who saw the movements (the intake's ``observed_by`` and a journal episode's).
OBSERVERS = ("self", "partner", "parent", "other")
SENSATIONS = ("tingling", "numbness", "crawling", "pain", "aching", "cramp", "falling")
KNOWN_CONDITIONS = (
    "epilepsy", "parkinsons", "alzheimers", "lewy_body_dementia", "huntingtons",
    "multiple_sclerosis", "kidney_disease", "liver_disease", "sleep_apnea", "iron_deficiency",
    "pregnancy", "stroke", "brain_injury", "spinal_cord_injury", "peripheral_neuropathy",
    "thyroid_disease", "electrolyte_imbalance", "adhd", "autism", "tourette", "narcolepsy",
    "reflux", "developmental_delay", "autoimmune_disease", "infection", "diabetes", "cancer",
    "hypoxic_injury",
)
#: Medicine classes. ``antidepressant`` is any antidepressant whose class is not known.
MEDICATIONS = (
    "antidepressant", "ssri_snri", "tricyclic", "maoi", "antipsychotic", "antiepileptic",
    "antihistamine", "antiemetic", "dopamine_agonist", "levodopa", "opioid", "tramadol",
    "triptan", "antibiotic", "cephalosporin", "lithium", "blood_pressure",
    "stimulant_medication", "benzodiazepine", "gabapentinoid", "iron_supplement",
    "magnesium_supplement", "melatonin", "chemotherapy", "anaesthetic",
)
SUBSTANCES = ("caffeine", "alcohol", "nicotine", "stimulants", "cannabis", "cocaine", "inhalants")
FAMILY_HISTORY = ("restless_legs", "epilepsy", "myoclonus", "parasomnia", "hyperekplexia",
                  "prion_disease")
SEIZURE_FEATURES = ("speech_arrest", "drooling", "stereotyped", "thrashing", "tongue_bite",
                    "incontinence", "confusion_after", "crying_after")
PROGRESSIONS = ("stable", "slow", "rapid")
EEG_RESULTS = ("normal", "abnormal")
EEG_PATTERNS = ("hypsarrhythmia", "centrotemporal_spikes", "periodic_sharp_waves",
                "generalized_polyspike_wave", "frontal_discharges", "other")
SCAN_RESULTS = ("normal", "abnormal")


class OptionError(ValueError):
    """A value that is not one of the allowed ones; the message lists them."""


def did_you_mean(value: Any, allowed: Collection[str], *, cutoff: float = 0.6) -> str | None:
    """The allowed value closest to ``value`` (prefix matches first, case-insensitive), or None."""
    text = str(value).strip().lower()
    lowered = {str(a).lower(): a for a in allowed}
    if not text:
        return None
    prefixed = [a for low, a in lowered.items() if low.startswith(text)]
    if len(prefixed) == 1:
        return prefixed[0]
    hit = difflib.get_close_matches(text, list(lowered), n=1, cutoff=cutoff)
    return lowered[hit[0]] if hit else None


def check_option(name: str, value: Any, allowed: Sequence[str], *, extra: str = "",
                 cutoff: float = 0.6) -> Any:
    """Return ``value`` if it is in ``allowed``; otherwise raise :class:`OptionError`.

    The message is the one every part of sleeptwitch uses::

        Invalid value for 'rules': allowed are 'wasm2016', 'aasm'; got 'wasm'. Did you mean
        'wasm2016'?

    ``extra`` is appended (e.g. how to list the values).
    """
    if value in allowed:
        return value
    raise OptionError(option_message(name, value, allowed, extra=extra, cutoff=cutoff))


def option_message(name: str, value: Any, allowed: Sequence[str], *, extra: str = "",
                   cutoff: float = 0.6, what: str = "value") -> str:
    """The text of :func:`check_option`'s error, for callers that raise their own type.

    ``what`` names the kind of thing that was wrong (``"value"``, ``"field name"``, ...)."""
    hint = did_you_mean(value, allowed, cutoff=cutoff)
    msg = (f"Invalid {what} for {name!r}: allowed are {', '.join(repr(a) for a in allowed)}; "
           f"got {value!r}.")
    if hint is not None:
        msg += f" Did you mean {hint!r}?"
    if extra:
        msg += " " + extra
    return msg


__all__ += ["option_message"]
