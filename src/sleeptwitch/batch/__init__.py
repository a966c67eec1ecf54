"""Processing recordings: one function mapped over many files."""

from ._process import ScoreConfig, ScoreResult, process_recording

__all__ = ["ScoreConfig", "ScoreResult", "process_recording"]
