"""Processing recordings: one function mapped over many files."""

from ._process import ScoreConfig, ScoreResult, hypnogram_from_annotations, process_recording

__all__ = ["ScoreConfig", "ScoreResult", "hypnogram_from_annotations", "process_recording"]
