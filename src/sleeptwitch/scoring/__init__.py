"""Leg-movement scoring under named rule sets: candidate LMs, PLM series and indices."""

from ._compare import compare_indices, match_events
from ._plm import EVENT_COLUMNS, SLEEP_STAGES, PlmScoring, score_leg_movements
from ._rules import RULE_SETS, RuleSet, load_rules

__all__ = ["EVENT_COLUMNS", "RULE_SETS", "SLEEP_STAGES", "PlmScoring", "RuleSet",
           "compare_indices", "load_rules", "match_events", "score_leg_movements"]
