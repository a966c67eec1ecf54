"""Recording I/O: EDF, EDF+C/D and BDF(+) files, hypnograms and event tables (pure numpy).

This is the only part of sleeptwitch that reads recordings. Signals come out as float64 in µV
when the file's unit is a voltage; times are seconds from the recording start.
"""

from ._annotations import (
    ANNOTATION_COLUMNS,
    STAGES,
    classify_annotation,
    hypnogram_from_annotations,
)
from ._channels import find_leg_channels
from ._common import RecordingError
from ._edf_header import Header, SignalHeader, read_header
from ._edf_read import RecordingFile, open_recording, read_recording
from ._edf_write import write_annotations_edf, write_edf
from ._tables import read_events_tsv, read_hypnogram
from ._types import Recording, Signal

__all__ = [
    "ANNOTATION_COLUMNS",
    "STAGES",
    "Header",
    "Recording",
    "RecordingError",
    "RecordingFile",
    "Signal",
    "SignalHeader",
    "classify_annotation",
    "find_leg_channels",
    "hypnogram_from_annotations",
    "open_recording",
    "read_events_tsv",
    "read_header",
    "read_hypnogram",
    "read_recording",
    "write_annotations_edf",
    "write_edf",
]
