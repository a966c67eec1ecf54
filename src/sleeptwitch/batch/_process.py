"""``process_recording(path, config) -> ScoreResult``: one recording, from EDF to indices."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .._version import __version__

__all__ = ["ScoreConfig", "ScoreResult", "process_recording"]

logger = logging.getLogger("sleeptwitch")

@dataclass(frozen=True)
class ScoreConfig:
    """How to score one recording. ``lm_events`` may be a TSV/EDF+ file of human-scored LMs, or
    ``"annotations"`` for the LMs annotated in the recording itself."""

    rules: str = "wasm2016"
    hypnogram: Path | None = None
    lm_events: Path | str | None = None
    left: str | None = None
    right: str | None = None
    out_dir: Path | None = None
    figure: bool = True


@dataclass(frozen=True)
class ScoreResult:
    path: Path
    summary: dict[str, Any]
    events: pd.DataFrame
    outputs: dict[str, Path] = field(default_factory=dict)


def _lm_events_from(source: Path | str, rec_annotations: pd.DataFrame) -> pd.DataFrame:
    from ..io import read_events_tsv, read_recording

    if str(source) == "annotations":
        ann = rec_annotations
    elif str(source).lower().endswith((".edf", ".bdf")):
        ann = read_recording(source, channels=[]).annotations
    else:
        table = read_events_tsv(source)
        lm = table[table["type"].astype(str).str.lower() == "lm"] if "type" in table else table
        return lm[["onset", "duration", "side"]].reset_index(drop=True)
    lm = ann[ann["kind"] == "lm"]
    if (lm["side"] == "").any():
        raise ValueError("some scored leg-movement annotations do not say which leg "
                         f"(e.g. {lm[lm['side'] == '']['description'].iloc[0]!r}); "
                         "sleeptwitch needs left/right LMs, e.g. 'Limb movement - left'")
    return lm[["onset", "duration", "side"]].reset_index(drop=True)


def process_recording(path: str | Path, config: ScoreConfig | None = None, *,
                      progress: Callable[[str], None] | None = None) -> ScoreResult:
    """Score the leg movements of one recording and, with ``config.out_dir``, write
    ``events.tsv``, ``summary.json``, an EDF+ annotation file and a PNG figure."""
    from ..detect import detect_leg_movements
    from ..io import (
        find_leg_channels,
        hypnogram_from_annotations,
        read_header,
        read_hypnogram,
        read_recording,
    )
    from ..scoring import score_leg_movements

    config = config or ScoreConfig()
    step = progress or (lambda msg: None)
    path = Path(path)
    step("reading header")
    header = read_header(path)
    left, right = find_leg_channels(header.ch_names, left=config.left, right=config.right)
    step("reading leg channels")
    rec = read_recording(path, channels=[left, right])
    warnings = list(rec.warnings)
    duration_s = rec.duration_s

    if config.hypnogram is not None:
        hyp, hyp_source = read_hypnogram(config.hypnogram), str(config.hypnogram)
    else:
        has_stages = (rec.annotations["kind"] == "stage").any()
        hyp = hypnogram_from_annotations(rec.annotations, duration_s=duration_s) \
            if has_stages else None
        hyp_source = "annotations" if has_stages else "none"
    ann = rec.annotations
    respiratory = ann[ann["kind"] == "respiratory"][["onset", "duration"]]
    arousals = ann[ann["kind"] == "arousal"][["onset", "duration"]]

    missing_s = 0.0
    if config.lm_events is not None:
        step("reading scored leg movements")
        lms = _lm_events_from(config.lm_events, ann)
        lm_source = str(config.lm_events)
    else:
        parts = []
        for side, name in (("left", left), ("right", right)):
            step(f"detecting leg movements ({side})")
            sig = rec.signals[name]
            if sig.unit not in ("uV", "µV"):
                warnings.append(f"{name}: physical unit {sig.unit!r} is not a voltage; "
                                "amplitudes were used as if in microvolts")
            missing_s = max(missing_s, float(np.isnan(sig.data).sum()) / sig.sf)
            found = detect_leg_movements(sig.data, sig.sf, side=side, rules=config.rules)
            warnings.extend(found.warnings)
            parts.append(found.events)
        lms = pd.concat(parts, ignore_index=True)
        lm_source = "detected"
    step("scoring")
    scoring = score_leg_movements(lms, rules=config.rules, hypnogram=hyp, duration_s=duration_s,
                                  respiratory=respiratory, arousals=arousals,
                                  missing_s=missing_s)
    warnings.extend(scoring.warnings)
    summary = {
        **scoring.indices,
        "rules": scoring.params["rules"], "rules_version": scoring.params["rules_version"],
        "sleeptwitch_version": __version__,
        "recording": path.name, "recording_duration_h": round(duration_s / 3600, 3),
        "left_channel": left, "right_channel": right,
        "hypnogram_source": hyp_source, "lm_source": lm_source,
        "n_respiratory_events": int(len(respiratory)), "n_arousals": int(len(arousals)),
        "warnings": warnings,
    }
    outputs: dict[str, Path] = {}
    if config.out_dir is not None:
        step("writing outputs")
        outputs = _write_outputs(Path(config.out_dir), path, scoring, summary, rec, duration_s,
                                 config.figure)
    return ScoreResult(path, summary, scoring.events, outputs)


def _write_outputs(out: Path, path: Path, scoring: Any, summary: dict, rec: Any,
                   duration_s: float, figure: bool) -> dict[str, Path]:
    from ..io import write_annotations_edf

    out.mkdir(parents=True, exist_ok=True)
    outputs = {"events": out / "events.tsv", "summary": out / "summary.json",
               "annotations": out / f"{path.stem}_leg_movements.edf"}
    _atomic_write(outputs["events"], scoring.events.to_csv(sep="\t", index=False,
                                                            na_rep="n/a"))
    _atomic_write(outputs["summary"], json.dumps(summary, indent=2, default=_json_default))
    outputs["imi_histogram"] = out / "imi_histogram.tsv"
    _atomic_write(outputs["imi_histogram"], scoring.imi_histogram.to_csv(sep="\t", index=False))
    ev = scoring.events
    # One-leg LMs carry the NSRR label, so the file can be read back as scored LMs; candidate
    # rows use labels that no reader takes for a one-leg LM.
    labels = {"lm": "Limb movement - {side}", "clm": "CLM ({side}){plm}",
              "non_clm": "nonCLM ({side})"}
    ann = pd.DataFrame({
        "onset": ev["onset"], "duration": ev["duration"],
        "description": [labels[t].format(side=s, plm=" in series" if p else "")
                        for t, s, p in zip(ev["type"], ev["side"], ev["in_plm_series"],
                                           strict=True)],
    })
    write_annotations_edf(outputs["annotations"], ann, start=rec.start, duration_s=duration_s)
    if figure:
        from ..report import plot_leg_movements

        fig = plot_leg_movements(scoring, title=path.name, duration_s=duration_s)
        outputs["figure"] = out / "leg_movements.png"
        fig.savefig(outputs["figure"], dpi=110)
    return outputs


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def _json_default(value: Any) -> Any:
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")
