"""Sample intakes for ``sleeptwitch demo``: the scenarios of the source articles.

These are inputs (findings), not outputs; what each one comes to is decided by the knowledge.
"""

SAMPLE_INTAKES: dict[str, dict] = {
    # shared/sources/000: isolated foot twitching in a neurologically normal 4-month-old
    "infant_foot_twitching": {
        "age_months": 4, "audience": "parent", "timing": ["asleep"], "stops_when_woken": True,
        "body_parts": ["feet"], "side": "one_side", "pattern": "random_twitches",
        "facial_involvement": False, "developmental_concern": False,
        "abnormal_neuro_exam": False, "triggered_by_emotion": False,
    },
    # the same infant, but the jerks come in clusters on waking and development has stalled
    "infant_clusters_on_waking": {
        "age_months": 6, "audience": "parent", "timing": ["waking_up", "awake"],
        "pattern": "clusters", "body_parts": ["trunk", "arms"], "side": "both_sides",
        "developmental_concern": True,
    },
    # shared/sources/002: an adult whose leg jerks as he drifts off, after late coffee
    "adult_sleep_start": {
        "age_years": 34, "audience": "patient", "timing": ["falling_asleep"],
        "pattern": "single_jerk", "body_parts": ["legs"], "sensations": ["falling"],
        "lifestyle": {"late_caffeine": True, "high_stress": True},
    },
    # shared/sources/002: a partner reports rhythmic kicks all night; daytime sleepiness
    "partner_reports_kicks": {
        "age_years": 52, "audience": "patient", "timing": ["asleep"], "pattern": "rhythmic",
        "interval_seconds": 30, "body_parts": ["legs", "feet"], "disturbs_sleep": True,
        "daytime_sleepiness": True,
    },
}
