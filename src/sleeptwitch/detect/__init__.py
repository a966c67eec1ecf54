"""Detectors over arrays (µV, seconds, Hz): leg movements from tibialis anterior EMG, with the
signal conditioning, heartbeat removal and quality checks they rely on."""

from ._ecg import find_r_peaks, heartbeat_suspected
from ._filter import bandpass
from ._lm import LM_COLUMNS, LegMovements, detect_leg_movements
from ._quality import REASONS as UNSCORABLE_REASONS

__all__ = ["LM_COLUMNS", "UNSCORABLE_REASONS", "LegMovements", "bandpass",
           "detect_leg_movements", "find_r_peaks", "heartbeat_suspected"]
