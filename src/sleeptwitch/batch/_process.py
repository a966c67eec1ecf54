"""``process_recording(path, config) -> ScoreResult``: one recording, from EDF to indices."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .._files import atomic_write
from .._version import __version__

__all__ = ["ScoreConfig", "ScoreResult", "process_recording"]

logger = logging.getLogger("sleeptwitch")

EPOCH_S = 30.0
MIN_INDEX_H = 1.0   # less scorable sleep than this: an index is too uncertain to read

@dataclass(frozen=True)
class ScoreConfig:
    """How to score one recording. ``lm_events`` may be a TSV/EDF+ file of human-scored LMs, or
    ``"annotations"`` for the LMs annotated in the recording itself. Sleep stages come from
    ``hypnogram`` (a file), else the recording's stage annotations, else (``staging="auto"``)
    yasa's automatic staging of its EEG (``eeg`` names the channel), else none. With
    ``parallel_legs`` the two legs are detected at the same time, on two threads (numpy releases
    the GIL); the result is the same either way."""

    rules: str = "wasm2016"
    hypnogram: Path | None = None
    lm_events: Path | str | None = None
    left: str | None = None
    right: str | None = None
    out_dir: Path | None = None
    figure: bool = True
    staging: str = "auto"
    eeg: str | None = None
    parallel_legs: bool = True


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


_STAGING = ("auto", "off")


def _resolve_hypnogram(path: Path, ch_names: tuple[str, ...], rec: Any, config: ScoreConfig,
                       legs: tuple[str, str], warnings: list[str],
                       step: Callable[[str], None]) -> tuple[Any, dict[str, Any], Any]:
    """The hypnogram, the summary fields that say where it came from, and the automatic staging
    result (or None): a file, else stage annotations, else yasa on the EEG, else none."""
    from ..io import hypnogram_from_annotations, read_hypnogram
    from ..io._common import close_hint, resolve_name

    if config.staging not in _STAGING:
        raise ValueError(f"Invalid value for 'staging': allowed are 'auto', 'off', got "
                         f"{config.staging!r}.{close_hint(str(config.staging), _STAGING)}")
    if config.eeg is not None:
        if config.staging == "off":
            raise ValueError("An EEG channel was named for automatic staging (--eeg) but staging "
                             "is off (--staging off); drop one of the two.")
        resolve_name(config.eeg, ch_names, what="EEG channel",
                     fix="Name the EEG channel for automatic staging with --eeg CHANNEL.")
    if config.hypnogram is not None:
        return (read_hypnogram(config.hypnogram),
                {"hypnogram_source": "file", "hypnogram_file": str(config.hypnogram)}, None)
    if (rec.annotations["kind"] == "stage").any():
        return (hypnogram_from_annotations(rec.annotations, duration_s=rec.duration_s),
                {"hypnogram_source": "annotations"}, None)
    if config.staging == "off":
        return None, {"hypnogram_source": "none"}, None
    from ..staging import StagingError, find_staging_channels, stage_sleep

    try:
        find_staging_channels(ch_names, eeg=config.eeg, exclude=legs)
    except StagingError:
        warnings.append("no hypnogram file, no stage annotations and no EEG channel for "
                        "automatic staging: give a hypnogram (--hypnogram FILE) or name the EEG "
                        "(--eeg CHANNEL)")
        return None, {"hypnogram_source": "none"}, None
    step("staging sleep automatically (yasa)")
    try:
        staged = stage_sleep(path, eeg=config.eeg, exclude=legs)
    except (ImportError, StagingError) as exc:
        if config.eeg is not None:  # asked for by name: a reason to stop, not to carry on
            raise
        warnings.append(f"automatic sleep staging skipped: {exc}")
        return None, {"hypnogram_source": "none"}, None
    s = staged.summary()
    used = " + ".join(c for c in staged.channels.values() if c)
    warnings.extend(staged.warnings)
    warnings.append(
        f"sleep stages estimated automatically by yasa {staged.params['yasa_version']} from "
        f"{used} (no hypnogram file or stage annotations): an estimate, not a scoring by a "
        f"person, and the sleep/wake split behind PLMS, PLMW and sleep time inherits its errors; "
        f"mean confidence {s['mean_confidence']}, {s['low_confidence_fraction']:.0%} of epochs "
        "below 0.5. Check the stages"
        + (" (hypnogram.tsv: stage and confidence per epoch)" if config.out_dir else "")
        + ", correct them and re-run with --hypnogram FILE")
    info = {"hypnogram_source": "yasa", "yasa_version": staged.params["yasa_version"],
            **{f"staging_{kind}_channel": name for kind, name in staged.channels.items()},
            "staging_mean_confidence": s["mean_confidence"],
            "staging_low_confidence_fraction": s["low_confidence_fraction"]}
    return staged.hypnogram, info, staged


def _progress_marks(config: ScoreConfig) -> dict[str, float]:
    """Fraction of the work done when each stage starts, from rough shares of the time the
    stages take on an 8-h recording (drawing the figure takes longest). Each leg is read and
    its LMs detected in one stage; with scored LMs given, the legs are not read."""
    leg = 0.15 if config.lm_events is None else 0.0
    write = 0.0 if config.out_dir is None else 0.20 + (0.45 if config.figure else 0.0)
    shares = {"open": 0.03, "left": leg, "right": leg, "score": 0.03, "write": write}
    total, done, marks = sum(shares.values()), 0.0, {}
    for stage, share in shares.items():
        marks[stage] = done / total
        done += share
    return marks


def _stepper(progress: Callable[[str, float], None] | None) -> Callable[..., None]:
    """``step(stage, done=None)``: report ``stage`` starting, with the fraction ``done`` of the
    work (default: as far as reached so far; never going back)."""
    reached = 0.0

    def step(stage: str, done: float | None = None) -> None:
        nonlocal reached
        if done is not None:
            reached = max(reached, min(done, 1.0))
        if progress is not None:
            progress(stage, reached)

    return step


def process_recording(path: str | Path, config: ScoreConfig | None = None, *,
                      progress: Callable[[str, float], None] | None = None) -> ScoreResult:
    """Score the leg movements of one recording and, with ``config.out_dir``, write
    ``events.tsv``, ``summary.json``, an EDF+ annotation file and a PNG figure.

    ``progress(stage, fraction)``, if given, is called as each stage starts, with the fraction
    of the work done so far (never decreasing), and last with ``("done", 1.0)``."""
    from ..io import find_leg_channels, open_recording
    from ..scoring import score_leg_movements

    config = config or ScoreConfig()
    marks, step = _progress_marks(config), _stepper(progress)
    path = Path(path)
    step("reading header and annotations", 0.0)
    rf = open_recording(path)
    left, right = find_leg_channels(rf.header.ch_names, left=config.left, right=config.right)
    if config.lm_events is None:   # a leg that cannot be read stops us before any staging
        left, right = rf.resolve(left), rf.resolve(right)
    warnings = rf.warnings   # reading the legs may add to them
    duration_s = rf.duration_s
    step("sleep stages")
    hyp, hyp_info, staged = _resolve_hypnogram(path, rf.header.ch_names, rf.recording(), config,
                                               (left, right), warnings, step)
    ann = rf.annotations
    respiratory = ann[ann["kind"] == "respiratory"][["onset", "duration"]]
    arousals = ann[ann["kind"] == "arousal"][["onset", "duration"]]

    info: dict[str, Any] | None = None
    quality: dict[str, Any] = {}
    scored_hyp = hyp
    if config.lm_events is not None:
        step("reading scored leg movements", marks["left"])
        lms = _lm_events_from(config.lm_events, ann)
        lm_source, missing_s = str(config.lm_events), 0.0
    else:
        lms, missing_s, info = _detect_legs(rf, (left, right), config, warnings, step, marks)
        lm_source = "detected"
        unscorable = _unscorable_union(info)
        quality = _quality_summary(info, duration_s, unscorable)
        # unscorable time is left out of the time base: epochs set to '?', or without a
        # hypnogram, counted with the missing signal
        scored_hyp = _mask_hypnogram(hyp, unscorable)
        if hyp is None and len(unscorable):
            missing_s = min(duration_s, missing_s + float(unscorable["duration"].sum()))
    step("scoring", marks["score"])
    scoring = score_leg_movements(lms, rules=config.rules, hypnogram=scored_hyp,
                                  duration_s=duration_s, respiratory=respiratory,
                                  arousals=arousals, missing_s=missing_s)
    warnings.extend(scoring.warnings)
    _time_base_warnings(scoring.indices, quality, warnings)
    summary = {
        **scoring.indices,
        "rules": scoring.params["rules"], "rules_version": scoring.params["rules_version"],
        "sleeptwitch_version": __version__,
        "recording": path.name, "recording_duration_h": round(duration_s / 3600, 3),
        "left_channel": left, "right_channel": right,
        **hyp_info, "lm_source": lm_source,
        "n_respiratory_events": int(len(respiratory)), "n_arousals": int(len(arousals)),
        **quality,
        "warnings": warnings,
    }
    outputs: dict[str, Path] = {}
    if config.out_dir is not None:
        step("writing outputs", marks["write"])
        outputs = _write_outputs(Path(config.out_dir), path, scoring, summary, rf.start,
                                 duration_s, config.figure, info=info, hypnogram=hyp)
    if staged is not None and config.out_dir is not None:
        outputs["hypnogram"] = Path(config.out_dir) / "hypnogram.tsv"
        _atomic_write(outputs["hypnogram"], staged.to_frame().to_csv(sep="\t", index=False,
                                                                     na_rep="n/a"))
    step("done", 1.0)
    return ScoreResult(path, summary, scoring.events, outputs)


_ECG_LABEL = re.compile(r"^(?:ecg|ekg)(?![a-z])|[^a-z](?:ecg|ekg)(?![a-z])", re.IGNORECASE)


def find_ecg_channel(ch_names: tuple[str, ...]) -> str | None:
    """The first channel labelled as an ECG (``ECG``, ``EKG``, ``ECG II``, ``ECG1-ECG2``...),
    leaving out impedance channels; None when there is none."""
    for name in ch_names:
        if _ECG_LABEL.search(name) and not re.search(r"imp", name, re.IGNORECASE):
            return name
    return None


def _detect_legs(rf: Any, legs: tuple[str, str], config: ScoreConfig, warnings: list[str],
                 step: Callable[..., None], marks: dict[str, float]
                 ) -> tuple[pd.DataFrame, float, dict[str, Any]]:
    """Read each leg channel and detect its LMs (both legs at once on two threads with
    ``config.parallel_legs``): the LMs of both legs, the seconds of signal missing on the
    leg that misses most, and what each leg's detection says (for the summary, the time base
    and the figure). A leg that shows a heartbeat is detected again with the ECG channel's R
    peaks, when there is one."""
    from ..detect import detect_leg_movements, find_r_peaks, heartbeat_suspected

    sides = dict(zip(("left", "right"), legs, strict=True))

    def read_and_detect(side: str) -> tuple[Any, Any]:
        sig = rf.read_signal(sides[side])
        return sig, detect_leg_movements(sig.data, sig.sf, side=side, rules=config.rules)

    done: dict[str, tuple[Any, Any]] = {}
    if config.parallel_legs:
        step("reading legs and detecting leg movements (left and right)", marks["left"])
        with ThreadPoolExecutor(max_workers=2, thread_name_prefix="sleeptwitch-leg") as pool:
            futures = {pool.submit(read_and_detect, side): side for side in sides}
            for future in as_completed(futures):
                done[futures[future]] = future.result()
                step(f"leg movements found ({futures[future]})",
                     marks["right"] if len(done) == 1 else marks["score"])
    else:
        for side in sides:
            step(f"reading leg and detecting leg movements ({side})", marks[side])
            done[side] = read_and_detect(side)
    ecg_name = find_ecg_channel(rf.header.ch_names)
    r_peaks = None
    for side in sides:
        sig, found = done[side]
        if ecg_name is None or not heartbeat_suspected(found.envelope, found.rest_level,
                                                       found.env_sf):
            continue
        if r_peaks is None:
            step("heartbeat on the leg leads: removing it with the ECG channel's R peaks")
            ecg = rf.read_signal(ecg_name)
            r_peaks = find_r_peaks(ecg.data, ecg.sf)
        done[side] = sig, detect_leg_movements(sig.data, sig.sf, side=side, rules=config.rules,
                                               beats=r_peaks)
    info: dict[str, Any] = {"legs": {}, "ecg_channel": ecg_name if r_peaks is not None else None}
    missing_s = 0.0
    for side in sides:   # in a fixed order, whichever leg finished first
        sig, found = done[side]
        if sig.unit not in ("uV", "µV"):
            warnings.append(f"{sig.name}: physical unit {sig.unit!r} is not a voltage; "
                            "amplitudes were used as if in microvolts")
        warnings.extend(found.warnings)
        missing_s = max(missing_s, sig.missing_samples() / sig.sf)
        info["legs"][side] = {"signal": sig, "detection": found}
    if legs[0] == legs[1]:
        warnings.append(f"the left and right legs are the same channel ({legs[0]!r}): every LM "
                        "is counted on both legs. Name the two leg channels with --left and "
                        "--right.")
    else:
        a, b = (info["legs"][s]["signal"].data for s in sides)
        if len(a) == len(b) and np.array_equal(a[:100_000], b[:100_000], equal_nan=True) \
                and np.array_equal(a, b, equal_nan=True):
            warnings.append(f"the left and right leg channels ({legs[0]!r}, {legs[1]!r}) hold "
                            "the same signal: every LM is counted on both legs. Check the "
                            "montage.")
    lms = pd.concat([done[side][1].events for side in sides], ignore_index=True)
    return lms, missing_s, info


def _unscorable_union(info: dict[str, Any]) -> pd.DataFrame:
    """The stretches unscorable on either leg, merged (``onset``, ``duration``)."""
    parts = [leg["detection"].unscorable for leg in info["legs"].values()]
    table = pd.concat([p for p in parts if len(p)], ignore_index=True) if any(
        len(p) for p in parts) else pd.DataFrame(columns=["onset", "duration"])
    if table.empty:
        return pd.DataFrame({"onset": [], "duration": []})
    table = table.sort_values("onset")
    on = table["onset"].to_numpy(float)
    off = on + table["duration"].to_numpy(float)
    reach = np.maximum.accumulate(off)
    new = np.r_[True, on[1:] > reach[:-1]]
    group = np.cumsum(new) - 1
    starts = on[new]
    ends = np.maximum.reduceat(off, np.flatnonzero(new))
    del group
    return pd.DataFrame({"onset": starts, "duration": ends - starts})


def _mask_hypnogram(hyp: Any, unscorable: pd.DataFrame) -> Any:
    """The hypnogram with every 30-s epoch that is at least half unscorable set to '?' (left
    out of sleep and wake time alike)."""
    if hyp is None or unscorable.empty:
        return hyp
    hyp = np.asarray(hyp, dtype=object).copy()
    n = len(hyp)
    cover = np.zeros(n)
    for on, dur in zip(unscorable["onset"], unscorable["duration"], strict=True):  # stretches
        first, last = int(on // EPOCH_S), int(np.ceil((on + dur) / EPOCH_S))
        e = np.arange(max(first, 0), min(last, n))
        lo = np.maximum(e * EPOCH_S, on)
        hi = np.minimum((e + 1) * EPOCH_S, on + dur)
        cover[e] += np.clip(hi - lo, 0, None)
    hyp[cover >= EPOCH_S / 2] = "?"
    return hyp


def _quality_summary(info: dict[str, Any], duration_s: float,
                     unscorable: pd.DataFrame) -> dict[str, Any]:
    """Summary fields on the signal: filters, unscorable time per leg and in all."""
    out: dict[str, Any] = {}
    first = next(iter(info["legs"].values()))["detection"].params
    for key in ("emg_filter", "emg_highpass_hz", "emg_lowpass_hz", "emg_envelope"):
        out[key] = first[key]
    for side, leg in info["legs"].items():
        det, sig = leg["detection"], leg["signal"]
        secs = det.unscorable_s
        out[f"{side}_sf_hz"] = sig.sf
        out[f"{side}_recording_prefilter"] = sig.prefilter or "n/a"
        out[f"{side}_digital_step_uv"] = det.params["digital_step_uv"]
        out[f"{side}_ecg_template_removed"] = bool(det.params["ecg_template_removed"])
        out[f"{side}_unscorable_min"] = round(secs / 60, 1)
        out[f"{side}_unscorable_share"] = round(secs / duration_s, 3) if duration_s else 0.0
        out[f"{side}_unscorable_reasons_min"] = {
            k: round(v / 60, 1) for k, v in
            det.unscorable.groupby("reason")["duration"].sum().items()} if len(
            det.unscorable) else {}
    out["ecg_channel"] = info["ecg_channel"]
    total = float(unscorable["duration"].sum()) if len(unscorable) else 0.0
    out["unscorable_min"] = round(total / 60, 1)
    out["unscorable_share"] = round(total / duration_s, 3) if duration_s else 0.0
    return out


def _time_base_warnings(indices: dict[str, Any], quality: dict[str, Any],
                        warnings: list[str]) -> None:
    """Warn when the scorable time is too short for an index to mean much."""
    hours = indices.get("total_sleep_time_h") or 0.0
    if quality.get("unscorable_share", 0) >= 0.999:
        warnings.append("no part of the recording could be scored (see the warnings above): "
                        "no index is given")
    elif hours < MIN_INDEX_H:
        warnings.append(f"only {hours * 60:.0f} min of scorable sleep: too short for a "
                        f"reliable index (at least {MIN_INDEX_H * 60:.0f} min are needed); "
                        "read the counts, not the indices")


def events_tsv(events: pd.DataFrame, sf: float | None) -> str:
    """The events as BIDS ``events.tsv`` text: times rounded to the sample (``sf``) and
    written without float noise, ``n/a`` for unknown values (a stage that is not known, a
    series id of a movement in no series, a missing amplitude or interval)."""
    ev = events.copy()
    for col in ("onset", "duration"):
        t = ev[col].to_numpy(float)
        if sf:
            t = np.round(t * sf) / sf
        ev[col] = np.round(t, 6)
    if "stage" in ev:
        ev["stage"] = ev["stage"].where(ev["stage"].isin(["W", "N1", "N2", "N3", "R"]))
    if "series_id" in ev:
        ev["series_id"] = ev["series_id"].where(ev["series_id"] >= 0).astype("Int64")
    return ev.to_csv(sep="\t", index=False, na_rep="n/a")


def _write_outputs(out: Path, path: Path, scoring: Any, summary: dict, start: Any,
                   duration_s: float, figure: bool, *, info: dict[str, Any] | None = None,
                   hypnogram: Any = None) -> dict[str, Path]:
    from ..io import write_annotations_edf

    out.mkdir(parents=True, exist_ok=True)
    outputs = {"events": out / "events.tsv", "summary": out / "summary.json",
               "annotations": out / f"{path.stem}_leg_movements.edf"}
    _atomic_write(outputs["events"], events_tsv(scoring.events, summary.get("left_sf_hz")))
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
    write_annotations_edf(outputs["annotations"], ann, start=start, duration_s=duration_s)
    if figure:
        from ..report import plot_leg_movements

        legs = None if info is None else {
            side: {"channel": leg["signal"].name, "data": leg["signal"].data,
                   "sf": leg["signal"].sf, "unscorable": leg["detection"].unscorable}
            for side, leg in info["legs"].items()}
        fig = plot_leg_movements(scoring, title=path.name, duration_s=duration_s, legs=legs,
                                 warnings=summary.get("warnings", ()),
                                 stages_estimated=summary.get("hypnogram_source") == "yasa",
                                 hypnogram=hypnogram)
        outputs["figure"] = out / "leg_movements.png"
        fig.savefig(outputs["figure"], dpi=110)
    return outputs


def _atomic_write(path: Path, text: str) -> None:
    atomic_write(path, text)


def _json_default(value: Any) -> Any:
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")
