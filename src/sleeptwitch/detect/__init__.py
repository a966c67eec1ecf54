"""Detectors over arrays (µV, seconds, Hz): leg movements from tibialis anterior EMG."""

from ._lm import LM_COLUMNS, LegMovements, detect_leg_movements

__all__ = ["LM_COLUMNS", "LegMovements", "detect_leg_movements"]
