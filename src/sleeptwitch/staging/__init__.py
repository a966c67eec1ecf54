"""Automatic sleep staging: yasa's pre-trained classifiers on the recording's EEG.

A hypnogram scored by a person (a file, or stage annotations in the recording) is always
better; this is for recordings that have none. The stages are an estimate: check them (the
per-epoch confidence says where to look) before the indices that depend on them are used.

Needs the ``staging`` extra (``pip install "sleeptwitch[staging]"``); yasa and mne are imported
only when :func:`stage_sleep` runs.
"""

from ._channels import StagingError, find_staging_channels
from ._yasa import MIN_DURATION_S, MIN_SF_HZ, StagingResult, stage_sleep

__all__ = ["MIN_DURATION_S", "MIN_SF_HZ", "StagingError", "StagingResult",
           "find_staging_channels", "stage_sleep"]
