"""Recording I/O: real files written to tmp_path and read back (and cross-checked with edfio)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

import numpy as np
import pandas as pd
import pytest

from sleeptwitch.io import (
    Recording,
    RecordingError,
    Signal,
    classify_annotation,
    find_leg_channels,
    hypnogram_from_annotations,
    open_recording,
    read_events_tsv,
    read_header,
    read_hypnogram,
    read_recording,
    write_annotations_edf,
    write_edf,
)

START = datetime(2021, 3, 4, 22, 15, 30)


# -- a tiny test-only raw writer (to build files write_edf would never produce) --------------------
def raw_edf(path, signals, *, n_records, record_s=1.0, reserved="", start=START,
            bdf=False, n_records_field=None, tals=None, overrides=None):
    """Write an EDF/BDF file byte by byte.

    ``signals``: dicts with label, unit (bytes or str), pmin, pmax, dmin, dmax and ``digital``
    (int array of shape (n_records, spr)). ``tals``: per-record annotation bytes, adding an
    "EDF Annotations" signal. ``overrides``: {(offset, width): bytes} patched into the header.
    """
    signals = list(signals)
    if tals is not None:
        width = max(len(t) for t in tals)
        spr = -(-width // (3 if bdf else 2))
        bps = 3 if bdf else 2
        ann = np.zeros((n_records, spr * bps), dtype=np.uint8)
        for k, t in enumerate(tals):
            ann[k, :len(t)] = np.frombuffer(t, dtype=np.uint8)
        signals.append({"label": "EDF Annotations", "unit": "", "pmin": -32768, "pmax": 32767,
                        "dmin": -32768, "dmax": 32767, "raw": ann, "spr": spr})
    for s in signals:
        s.setdefault("spr", s["digital"].shape[1] if "digital" in s else 0)
    ns = len(signals)

    def f(value, width):
        raw = value if isinstance(value, bytes) else str(value).encode("latin-1")
        return raw.ljust(width)[:width]

    head = (f(b"\xffBIOSEMI" if bdf else b"0", 8) + f("X X X X", 80)
            + f(f"Startdate {start:%d-%b-%Y}".upper().replace("STARTDATE", "Startdate"), 80)
            + f(start.strftime("%d.%m.%y"), 8) + f(start.strftime("%H.%M.%S"), 8)
            + f(256 * (ns + 1), 8) + f(reserved, 44)
            + f(n_records if n_records_field is None else n_records_field, 8)
            + f(f"{record_s:g}", 8) + f(ns, 4))
    for key, width in (("label", 16), ("transducer", 80), ("unit", 8), ("pmin", 8),
                       ("pmax", 8), ("dmin", 8), ("dmax", 8), ("prefilter", 80), ("spr", 8),
                       ("reserved", 32)):
        for s in signals:
            head += f(s.get(key, ""), width)
    head = bytearray(head)
    for (offset, width), value in (overrides or {}).items():
        head[offset:offset + width] = f(value, width)
    blocks = []
    for s in signals:
        if "raw" in s:
            blocks.append(s["raw"])
        elif bdf:
            d = s["digital"].astype("<i4")
            blocks.append(d.view(np.uint8).reshape(n_records, -1, 4)[:, :, :3]
                          .reshape(n_records, 3 * s["spr"]))
        else:
            blocks.append(s["digital"].astype("<i2").view(np.uint8).reshape(n_records,
                                                                              2 * s["spr"]))
    data = np.concatenate(blocks, axis=1) if blocks else np.zeros((n_records, 0), np.uint8)
    with open(path, "wb") as fh:
        fh.write(bytes(head))
        fh.write(np.ascontiguousarray(data).tobytes())
    return path


def keeping(onset):
    return f"+{onset:g}\x14\x14\x00".encode()


def ramp(n_records, spr, lo=-1000, hi=1000):
    return np.linspace(lo, hi, n_records * spr).round().astype(int).reshape(n_records, spr)


def simple_signals(seconds=90, seed=0):
    rng = np.random.default_rng(seed)
    return [
        Signal("LAT", rng.normal(0, 20, 256 * seconds), 256.0, "uV", "AgAgCl", "HP:10Hz"),
        Signal("EEG Fpz-Cz", rng.normal(0, 50, 100 * seconds), 100.0, "µV"),
        Signal("SpO2", 90 + 5 * rng.random(2 * seconds), 2.0, "%"),
    ]


def step(path, name):
    """One digital step of a channel, from the file's header."""
    sig = read_header(path).data_signals[name]
    return (sig.physical_max - sig.physical_min) / (sig.digital_max - sig.digital_min)


# -- round trips ---------------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", ["EDF+C", "BDF+C"])
@pytest.mark.parametrize("record_s", [30.0, 1.0, 0.5])
def test_round_trip_mixed_rates(tmp_path, fmt, record_s):
    signals = simple_signals()
    ann = pd.DataFrame({"onset": [0.0, 30.0, 12.25], "duration": [30.0, 30.0, 1.5],
                        "description": ["Sleep stage W", "Sleep stage 2", "LM left"]})
    start = datetime(2021, 3, 4, 22, 15, 30, 250000)
    path = write_edf(tmp_path / ("x." + fmt[:3].lower()), signals, annotations=ann,
                     start=start, record_duration_s=record_s, fmt=fmt)
    rec = read_recording(path)
    assert isinstance(rec, Recording)
    assert rec.fmt == fmt
    assert rec.start == start
    assert rec.duration_s == pytest.approx(90.0)
    assert rec.ch_names == ("LAT", "EEG Fpz-Cz", "SpO2")
    assert rec.warnings == ()
    for sig in signals:
        got = rec.signals[sig.name]
        assert got.sf == sig.sf and got.data.dtype == np.float64
        assert got.data.shape == sig.data.shape
        assert np.max(np.abs(got.data - sig.data)) < step(path, sig.name)
    assert rec.signals["LAT"].unit == "uV" and rec.signals["EEG Fpz-Cz"].unit == "uV"
    assert rec.signals["SpO2"].unit == "%"
    assert rec.signals["LAT"].transducer == "AgAgCl"
    assert rec.signals["LAT"].prefilter == "HP:10Hz"
    assert list(rec.annotations.columns) == ["onset", "duration", "description", "kind",
                                             "stage", "side"]
    assert rec.annotations["onset"].tolist() == [0.0, 12.25, 30.0]
    assert rec.annotations["duration"].tolist() == [30.0, 1.5, 30.0]
    assert rec.annotations["stage"].tolist() == ["W", "", "N2"]
    assert rec.annotations["side"].tolist() == ["", "left", ""]
    header = read_header(path)
    assert header.fmt == fmt and header.n_records == int(90 / record_s)
    assert header.record_duration_s == record_s
    assert header.sf == {"LAT": 256.0, "EEG Fpz-Cz": 100.0, "SpO2": 2.0}


def test_read_selected_channels_only(tmp_path):
    path = write_edf(tmp_path / "x.edf", simple_signals())
    rec = read_recording(path, channels=["spo2", "LAT"])  # case-insensitive fallback
    assert list(rec.signals) == ["SpO2", "LAT"]
    assert rec.ch_names == ("LAT", "EEG Fpz-Cz", "SpO2")
    assert rec["lat"] is rec.signals["LAT"]
    with pytest.raises(RecordingError, match="Did you mean 'LAT'.*Available are"):
        read_recording(path, channels=["LATT"])


def test_open_recording_reads_signals_on_demand_from_several_threads(tmp_path):
    path = write_edf(tmp_path / "x.edf", simple_signals(), annotations=pd.DataFrame(
        {"onset": [0.0], "duration": [30.0], "description": ["Sleep stage W"]}))
    whole = read_recording(path)
    rf = open_recording(path)
    assert rf.duration_s == whole.duration_s and rf.start == whole.start
    pd.testing.assert_frame_equal(rf.annotations, whole.annotations)
    with ThreadPoolExecutor(max_workers=3) as pool:
        signals = list(pool.map(rf.read_signal, ["lat", "EEG Fpz-Cz", "SpO2"] * 4))
    for sig in signals:
        ref = whole.signals[sig.name]
        np.testing.assert_array_equal(sig.data, ref.data)
        assert (sig.sf, sig.unit, sig.n_missing) == (ref.sf, ref.unit, 0)
    rec = rf.recording(signals[:2])
    assert list(rec.signals) == ["LAT", "EEG Fpz-Cz"] and rec.ch_names == whole.ch_names
    with pytest.raises(RecordingError, match="Did you mean 'LAT'"):
        rf.read_signal("LATT")


def test_padding_and_nan_write(tmp_path):
    data = np.arange(300, dtype=float)
    data[5] = np.nan
    path = write_edf(tmp_path / "x.edf", [Signal("a", data, 100.0, "uV")])
    got = read_recording(path).signals["a"].data
    assert got.shape == (300,)
    assert abs(got[5]) < step(path, "a") and abs(got[6] - 6) < step(path, "a")


def test_write_errors(tmp_path):
    with pytest.raises(RecordingError, match="whole number of samples"):
        write_edf(tmp_path / "x.edf", [Signal("a", np.zeros(100), 100.3, "uV")])
    with pytest.raises(RecordingError, match="allowed are 'EDF\\+C', 'BDF\\+C'"):
        write_edf(tmp_path / "x.edf", simple_signals(), fmt="EDF+D")
    with pytest.raises(RecordingError, match="one-dimensional"):
        write_edf(tmp_path / "x.edf", [Signal("a", np.zeros((2, 10)), 10.0, "uV")])
    with pytest.raises(RecordingError, match="longer than the 16"):
        write_edf(tmp_path / "x.edf", [Signal("a" * 17, np.zeros(10), 10.0, "uV")])


def test_annotations_only_file(tmp_path):
    ann = pd.DataFrame({"onset": [5.0, 600.5], "duration": [0.8, 0.0],
                        "description": ["Limb movement - right|Limb Movement (Right)",
                                        "Arousal|Arousal ()"]})
    path = write_annotations_edf(tmp_path / "events.edf", ann, start=START, duration_s=3600.0)
    rec = read_recording(path)
    assert rec.signals == {} and rec.ch_names == ()
    assert rec.duration_s == 3600.0 and rec.start == START
    assert rec.annotations["onset"].tolist() == [5.0, 600.5]
    assert rec.annotations["kind"].tolist() == ["lm", "arousal"]
    assert rec.annotations["side"].tolist() == ["right", ""]


# -- units, EDF+D, damaged files -------------------------------------------------------------------
@pytest.mark.parametrize(("unit", "factor", "out"), [
    ("V", 1e6, "uV"), ("mV", 1e3, "uV"), ("uV", 1.0, "uV"), (b"\xb5V", 1.0, "uV"),
    ("µV".encode(), 1.0, "uV"), ("%", 1.0, "%"), ("degC", 1.0, "degC"),
])
@pytest.mark.parametrize("bdf", [False, True])
def test_units_converted_once(tmp_path, unit, factor, out, bdf):
    digital = ramp(4, 10)
    path = raw_edf(tmp_path / "u.edf", [{"label": "X", "unit": unit, "pmin": -0.5, "pmax": 0.5,
                                         "dmin": -1000, "dmax": 1000, "digital": digital}],
                   n_records=4, bdf=bdf)
    sig = read_recording(path).signals["X"]
    assert sig.unit == out
    expected = digital.reshape(-1) * (1.0 / 2000) * factor
    np.testing.assert_allclose(sig.data, expected, rtol=1e-12, atol=1e-12 * factor)


def test_asymmetric_scaling(tmp_path):
    digital = np.array([[0, 4095, 2048, 1]])
    path = raw_edf(tmp_path / "s.edf", [{"label": "pos", "unit": "deg", "pmin": -180,
                                         "pmax": 180, "dmin": 0, "dmax": 4095,
                                         "digital": digital}], n_records=1)
    got = read_recording(path).signals["pos"].data
    np.testing.assert_allclose(got, -180 + digital[0] * 360 / 4095)


def test_edf_plus_d_gap_filled_with_nan(tmp_path):
    onsets = [0, 1, 2, 10, 11, 40]
    n, spr = len(onsets), 4
    digital = np.arange(n * spr).reshape(n, spr)
    path = raw_edf(tmp_path / "d.edf", [{"label": "Leg L", "unit": "uV", "pmin": -32768,
                                         "pmax": 32767, "dmin": -32768, "dmax": 32767,
                                         "digital": digital}],
                   n_records=n, reserved="EDF+D", tals=[keeping(o) for o in onsets])
    header = read_header(path)
    assert header.fmt == "EDF+D" and header.duration_s == 41.0
    rec = read_recording(path)
    assert rec.fmt == "EDF+D" and rec.duration_s == 41.0
    assert "discontinuous EDF+D: 2 gaps (35.0 s) filled with NaN" in rec.warnings
    data = rec.signals["Leg L"].data
    assert data.shape == (41 * spr,)
    for k, onset in enumerate(onsets):
        np.testing.assert_array_equal(data[onset * spr:(onset + 1) * spr], digital[k])
    assert np.isnan(data[3 * spr:10 * spr]).all() and np.isnan(data[12 * spr:40 * spr]).all()
    assert np.isfinite(data).sum() == n * spr
    # the reader knows how many samples it left missing; scoring uses this for the time base
    sig = rec.signals["Leg L"]
    assert sig.n_missing == sig.missing_samples() == int(np.isnan(data).sum()) == 35 * spr
    no_count = Signal("x", data, sig.sf, "uV")
    assert no_count.n_missing is None and no_count.missing_samples() == 35 * spr


def test_edf_plus_d_sub_second_offset_and_annotations(tmp_path):
    tals = [b"+0.5\x14\x14\x00+1.0\x150.6\x14LM\x14\x00", keeping(1.5), keeping(5.5)]
    path = raw_edf(tmp_path / "d.edf", [{"label": "RAT", "unit": "uV", "pmin": -100,
                                         "pmax": 100, "dmin": -100, "dmax": 100,
                                         "digital": ramp(3, 2, -100, 100)}],
                   n_records=3, reserved="EDF+D", tals=tals)
    rec = read_recording(path)
    assert rec.start == START.replace(microsecond=500000)
    assert rec.annotations[["onset", "duration", "kind"]].values.tolist() == [[0.5, 0.6, "lm"]]
    assert rec.duration_s == 6.0 and rec.signals["RAT"].data.shape == (12,)


def test_truncated_file_reads_complete_records(tmp_path, caplog):
    path = write_edf(tmp_path / "t.edf", simple_signals(seconds=60), record_duration_s=10.0)
    full = read_recording(path)
    size = path.stat().st_size
    record_bytes = read_header(path).record_bytes
    with open(path, "r+b") as fh:
        fh.truncate(size - record_bytes - 100)  # last record lost, the one before it cut
    with caplog.at_level("WARNING", logger="sleeptwitch"):
        rec = read_recording(path)
    assert "truncated file" in caplog.text
    assert rec.duration_s == 40.0
    assert any("truncated file" in w and "only 4 are complete" in w for w in rec.warnings)
    np.testing.assert_array_equal(rec.signals["LAT"].data,
                                  full.signals["LAT"].data[:40 * 256])
    with open(path, "r+b") as fh:
        fh.truncate(read_header(path).header_bytes + 10)
    with pytest.raises(RecordingError, match="not one is complete"):
        read_recording(path)


def test_missing_and_garbage_files(tmp_path):
    with pytest.raises(RecordingError, match="not found.*Check the path"):
        read_recording(tmp_path / "nope.edf")
    garbage = tmp_path / "garbage.edf"
    garbage.write_bytes(b"PK\x03\x04 this is a zip, not a recording" * 20)
    with pytest.raises(RecordingError, match="not an EDF or BDF file"):
        read_recording(garbage)
    empty = tmp_path / "empty.edf"
    empty.write_bytes(b"")
    with pytest.raises(RecordingError, match="not an EDF or BDF file"):
        read_header(empty)
    short = tmp_path / "short.edf"
    short.write_bytes(write_edf(tmp_path / "ok.edf", simple_signals()).read_bytes()[:400])
    with pytest.raises(RecordingError, match="truncated inside its header"):
        read_header(short)


def _one_signal(**extra):
    sig = {"label": "LAT", "unit": "uV", "pmin": -100, "pmax": 100, "dmin": -2048,
           "dmax": 2047, "digital": ramp(2, 5)}
    sig.update(extra)
    return sig


def test_corrupt_header_fields(tmp_path):
    # the physical maximum of signal 1 sits after 256 + 16 + 80 + 8 + 8 bytes (one signal)
    path = raw_edf(tmp_path / "c.edf", [_one_signal(pmax="abc")], n_records=2)
    with pytest.raises(RecordingError, match="physical maximum of signal 1 \\('LAT'\\) is "
                                             "'abc', not a number.*re-export"):
        read_header(path)
    path = raw_edf(tmp_path / "c2.edf", [_one_signal()], n_records=2,
                   overrides={(236, 8): "two"})
    with pytest.raises(RecordingError, match="number of data records is 'two'"):
        read_recording(path)


def test_n_records_minus_one(tmp_path):
    path = raw_edf(tmp_path / "m.edf", [_one_signal()], n_records=2, n_records_field=-1)
    with pytest.raises(RecordingError, match="-1.*never finished.*holds 2 complete records"):
        read_header(path)


def test_zero_length_signal(tmp_path):
    empty = {"label": "Dead", "unit": "uV", "pmin": -1, "pmax": 1, "dmin": -1, "dmax": 1,
             "digital": np.zeros((2, 0), dtype=int)}
    path = raw_edf(tmp_path / "z.edf", [_one_signal(), empty], n_records=2)
    with pytest.raises(RecordingError, match="'Dead' has 0 samples.*channels="):
        read_recording(path)
    assert list(read_recording(path, channels=["LAT"]).signals) == ["LAT"]
    path = raw_edf(tmp_path / "z0.edf", [_one_signal(digital=np.zeros((0, 5)))], n_records=0)
    with pytest.raises(RecordingError, match="no data records"):
        read_recording(path)


def test_duplicate_labels_are_renamed(tmp_path):
    path = raw_edf(tmp_path / "dup.edf", [_one_signal(), _one_signal()], n_records=2)
    rec = read_recording(path)
    assert rec.ch_names == ("LAT", "LAT (2)")
    assert any("duplicate channel labels" in w for w in rec.warnings)


# -- annotation labels ---------------------------------------------------------------------------
@pytest.mark.parametrize(("label", "expected"), [
    ("Sleep stage W", ("stage", "W", "")),
    ("Sleep stage 1", ("stage", "N1", "")),
    ("Sleep stage 2", ("stage", "N2", "")),
    ("Sleep stage 3", ("stage", "N3", "")),
    ("Sleep stage 4", ("stage", "N3", "")),
    ("Sleep stage R", ("stage", "R", "")),
    ("Sleep stage N3", ("stage", "N3", "")),
    ("Sleep stage ?", ("stage", "", "")),
    ("Movement time", ("stage", "", "")),
    ("Stage 2 sleep|2", ("stage", "N2", "")),
    ("Wake|0", ("stage", "W", "")),
    ("REM sleep|5", ("stage", "R", "")),
    ("W", ("stage", "W", "")),
    ("REM", ("stage", "R", "")),
    ("N1", ("stage", "N1", "")),
    ("Obstructive apnea|Obstructive Apnea", ("respiratory", "", "")),
    ("Hypopnea|Hypopnea", ("respiratory", "", "")),
    ("Central apnea|Central Apnea", ("respiratory", "", "")),
    ("Mixed apnea|Mixed Apnea", ("respiratory", "", "")),
    ("Obstructive Hypopnea", ("respiratory", "", "")),
    ("RERA", ("respiratory", "", "")),
    ("Respiratory effort related arousal|RERA", ("respiratory", "", "")),
    ("Arousal|Arousal ()", ("arousal", "", "")),
    ("Arousal (ARO SPONT)", ("arousal", "", "")),
    ("EEG arousal", ("arousal", "", "")),
    ("Limb movement - left|Limb Movement (Left)", ("lm", "", "left")),
    ("Limb movement - right|Limb Movement (Right)", ("lm", "", "right")),
    ("Periodic leg movement - left|PLM (Left)", ("lm", "", "left")),
    ("Periodic leg movement - right|PLM (Right)", ("lm", "", "right")),
    ("LM", ("lm", "", "")),
    ("Leg movement", ("lm", "", "")),
    ("LM left", ("lm", "", "left")),
    ("LM right", ("lm", "", "right")),
    ("PLM", ("lm", "", "")),
    ("SpO2 desaturation|SpO2 desaturation", ("other", "", "")),
    ("Lights off", ("other", "", "")),
    ("Recording starts", ("other", "", "")),
])
def test_classify_annotation(label, expected):
    assert classify_annotation(label) == expected


def test_hypnogram_from_annotations():
    ann = pd.DataFrame({"onset": [0.0, 60.0, 90.0], "duration": [60.0, 30.0, 0.0],
                        "kind": ["stage"] * 3, "stage": ["W", "N2", "R"]})
    assert hypnogram_from_annotations(ann, duration_s=150).tolist() == ["W", "W", "N2", "R", "?"]


# -- leg channels --------------------------------------------------------------------------------
OTHER = ["F3-M2", "C4-M2", "E1-M2", "Chin1-Chin2", "ECG", "SpO2", "Thor", "Abdo"]


@pytest.mark.parametrize(("left", "right"), [
    ("LAT", "RAT"), ("EMG LAT", "EMG RAT"), ("LAT1-LAT2", "RAT1-RAT2"), ("Leg L", "Leg R"),
    ("Leg/L", "Leg/R"), ("lleg+", "rleg+"), ("lleg-", "rleg-"), ("PLML", "PLMR"),
    ("plml", "plmr"), ("SX1-SX2", "DX1-DX2"), ("TIB Sx", "TIB Dx"), ("tib sin", "tib dx"),
    ("EMG Ant Tibial L", "EMG Ant Tibial R"), ("Leg 1", "Leg 2"), ("LLEG", "RLEG"),
    ("Left Leg", "Right Leg"), ("L-Leg", "R-Leg"), ("Lleg1-Lleg2", "Rleg1-Rleg2"),
    ("EMG Leg L", "EMG Leg R"), ("L TIB", "R TIB"), ("LLeg+-LLeg-", "RLeg+-RLeg-"),
])
def test_find_leg_channels_families(left, right):
    names = [*OTHER[:3], right, *OTHER[3:], left]
    assert find_leg_channels(names) == (left, right)


def test_find_leg_channels_prefers_plus_electrode_and_sided_labels():
    names = ["lleg-", "lleg+", "rleg-", "rleg+"]
    assert find_leg_channels(names) == ("lleg+", "rleg+")
    assert find_leg_channels(["Leg 1", "Leg 2", "LAT", "RAT"]) == ("LAT", "RAT")


def test_find_leg_channels_overrides():
    names = [*OTHER, "LAT", "RAT", "EMG3", "EMG4"]
    assert find_leg_channels(names, left="EMG3", right="emg4") == ("EMG3", "EMG4")
    assert find_leg_channels(names, left="EMG3") == ("EMG3", "RAT")
    with pytest.raises(RecordingError, match="Unknown left leg channel 'LATT'.*Did you mean "
                                             "'LAT'.*Available are.*--left"):
        find_leg_channels(names, left="LATT")


def test_find_leg_channels_failures():
    with pytest.raises(RecordingError, match="No leg EMG channel recognised among: 'F3-M2'.*"
                                             "--left NAME --right NAME"):
        find_leg_channels(OTHER)
    with pytest.raises(RecordingError, match="'Legs' may hold both legs"):
        find_leg_channels([*OTHER, "Legs"])
    with pytest.raises(RecordingError, match="Found the left leg channel 'LAT' but no right "
                                             "leg channel.*--right NAME"):
        find_leg_channels([*OTHER, "LAT"])
    assert find_leg_channels([*OTHER, "LAT"], right="ECG") == ("LAT", "ECG")


# -- hypnograms and events.tsv --------------------------------------------------------------------
@pytest.mark.parametrize(("name", "text"), [
    ("one.txt", "W\nN1\nN2\nN3\nR\n?\n"),
    ("header.csv", "stage\nWake\nS1\nS2\nS4\nREM\nunscored\n"),
    ("numbers.csv", "# R&K numbers\n0\n1\n2\n3\n5\nmovement\n"),
    ("prefix.csv", "Sleep stage W\nSleep stage 1\nSleep stage 2\nSleep stage 3\n"
                   "Sleep stage R\nSleep stage ?\n"),
    ("onset.csv", "onset,duration,stage\n0,30,W\n30,30,N1\n60,60,N2\n120,30,N3\n"
                  "150,30,R\n180,30,?\n"),
    ("onset.tsv", "onset\tstage\n0\tW\n30\tN1\n60\tN2\n90\tN2\n120\t3\n150\tR\n180\t?\n"),
    ("epoch.csv", "epoch;sleep_stage\n1;W\n2;N1\n3;N2\n4;N3\n5;R\n6;-1\n"),
    ("duration.csv", "stage,duration\nW,30\nN1,30\nN2,60\nN3,30\nR,30\n?,30\n"),
    ("nsrr.tsv", "onset\tstage\n0\tWake|0\n30\tStage 1 sleep|1\n60\tStage 2 sleep|2\n"
                 "90\tStage 3 sleep|3\n120\tREM sleep|5\n150\tUnscored|9\n"),
])
def test_read_hypnogram_variants(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    hypno = read_hypnogram(path)
    expected = ["W", "N1", "N2", "N3", "R", "?"]
    if "60,60" in text or "N2,60" in text:
        expected = ["W", "N1", "N2", "N2", "N3", "R", "?"]
    if "90\tN2" in text:
        expected = ["W", "N1", "N2", "N2", "N3", "R", "?"]
    assert hypno.tolist() == expected


def test_read_hypnogram_gaps_and_errors(tmp_path):
    path = tmp_path / "gap.csv"
    path.write_text("onset,stage\n0,W\n90,N2\n")
    assert read_hypnogram(path).tolist() == ["W", "?", "?", "N2"]
    bad = tmp_path / "bad.csv"
    bad.write_text("stage\nW\nN2\nN7\n")
    with pytest.raises(RecordingError, match="bad.csv, line 4: unknown sleep stage 'N7'. "
                                             "Allowed labels: W, Wake"):
        read_hypnogram(bad)
    bad.write_text("onset,stage\n0,W\nhalf past,N2\n")
    with pytest.raises(RecordingError, match="line 3: onset 'half past' is not a number"):
        read_hypnogram(bad)
    bad.write_text("0,W\n30,N2\n")
    with pytest.raises(RecordingError, match="line 1: 2 columns but no header"):
        read_hypnogram(bad)
    with pytest.raises(RecordingError, match="not found"):
        read_hypnogram(tmp_path / "missing.csv")


def test_read_events_tsv(tmp_path):
    path = tmp_path / "sub-01_events.tsv"
    path.write_text("onset\tduration\ttype\tside\tpeak_amplitude_uv\n"
                    "12.5\t1.2\tLM\tL\t35.5\n"
                    "40.0\tn/a\tlm\tright\tn/a\n"
                    "41.0\t0.8\tarousal\tn/a\t20\n")
    ev = read_events_tsv(path)
    assert list(ev.columns) == ["onset", "duration", "type", "side", "peak_amplitude_uv"]
    assert ev["onset"].tolist() == [12.5, 40.0, 41.0]
    assert ev["duration"].iloc[0] == 1.2 and np.isnan(ev["duration"].iloc[1])
    assert ev["type"].tolist() == ["lm", "lm", "arousal"]
    assert ev["side"].tolist() == ["left", "right", ""]
    assert ev["peak_amplitude_uv"].dtype == float


def test_read_events_tsv_errors(tmp_path):
    path = tmp_path / "events.tsv"
    path.write_text("onset\tduration\ttype\n1.0\t0.5\tlm\nabc\t0.5\tlm\n")
    with pytest.raises(RecordingError, match="events.tsv, line 3: onset 'abc' is not a number"):
        read_events_tsv(path)
    path.write_text("onset\tduration\ttype\n1.0\t0.5\tlm\n2.0\t0.5\n")
    with pytest.raises(RecordingError, match="line 3: 2 tab-separated values, the header has 3"):
        read_events_tsv(path)
    path.write_text("onset,duration,type\n1.0,0.5,lm\n")
    with pytest.raises(RecordingError, match="must name the columns 'onset' and 'duration'.*"
                                             "no tab"):
        read_events_tsv(path)
    path.write_text("onset\tduration\n1.0\t-2\n")
    with pytest.raises(RecordingError, match="line 2: duration '-2'"):
        read_events_tsv(path)


# -- cross-check with edfio ---------------------------------------------------------------------
@pytest.mark.parametrize("fmt", ["EDF+C", "BDF+C"])
def test_edfio_reads_our_files(tmp_path, fmt):
    edfio = pytest.importorskip("edfio")
    signals = simple_signals(seconds=60)
    ann = pd.DataFrame({"onset": [3.0], "duration": [0.7], "description": ["LM right"]})
    path = write_edf(tmp_path / ("w." + fmt[:3].lower()), signals, annotations=ann,
                     start=START, record_duration_s=30.0, fmt=fmt)
    theirs = (edfio.read_bdf if fmt.startswith("BDF") else edfio.read_edf)(path)
    ours = read_recording(path)
    assert [s.label for s in theirs.signals] == list(ours.ch_names)
    for sig in theirs.signals:
        assert sig.sampling_frequency == ours.signals[sig.label].sf
        np.testing.assert_allclose(sig.data, ours.signals[sig.label].data, rtol=0, atol=1e-9)
    assert [(a.onset, a.duration, a.text) for a in theirs.annotations] == [(3.0, 0.7,
                                                                              "LM right")]
    assert datetime.combine(theirs.startdate, theirs.starttime) == START


@pytest.mark.parametrize("fmt", ["EDF", "BDF"])
def test_we_read_edfio_files(tmp_path, fmt):
    edfio = pytest.importorskip("edfio")
    rng = np.random.default_rng(1)
    cls = edfio.Bdf if fmt == "BDF" else edfio.Edf
    sig_cls = edfio.BdfSignal if fmt == "BDF" else edfio.EdfSignal
    signals = [sig_cls(rng.normal(0, 30, 512 * 20), 512, label="LAT", physical_dimension="mV"),
               sig_cls(rng.normal(0, 1, 64 * 20), 64, label="Flow", physical_dimension="a.u.")]
    ann = [edfio.EdfAnnotation(2.5, 1.0, "Limb movement - left|Limb Movement (Left)"),
           edfio.EdfAnnotation(10.0, None, "Sleep stage 2")]
    edf = cls(signals, starttime=START.time(), annotations=ann, data_record_duration=2,
              recording=edfio.Recording(startdate=START.date()))
    path = tmp_path / ("e." + fmt.lower())
    edf.write(path)
    theirs = (edfio.read_bdf if fmt == "BDF" else edfio.read_edf)(path)
    rec = read_recording(path)
    assert rec.fmt == fmt + "+C" and rec.start == START and rec.duration_s == 20.0
    np.testing.assert_allclose(rec.signals["LAT"].data, theirs.signals[0].data * 1e3,
                               rtol=1e-12, atol=1e-6)
    np.testing.assert_allclose(rec.signals["Flow"].data, theirs.signals[1].data,
                               rtol=1e-12, atol=1e-9)
    assert rec.signals["LAT"].unit == "uV" and rec.signals["Flow"].unit == "a.u."
    assert rec.annotations[["onset", "kind", "stage", "side"]].values.tolist() == [
        [2.5, "lm", "", "left"], [10.0, "stage", "N2", ""]]


def test_scoring_an_edf_plus_d_file_leaves_its_gaps_out_of_the_time_base(tmp_path):
    """Reading and detection on two threads or one after the other: the same result, and the
    samples the reader left missing (a 60-s gap) are not counted as recorded time."""
    from sleeptwitch.batch import ScoreConfig, process_recording

    rng = np.random.default_rng(4)
    onsets = list(range(0, 120)) + list(range(180, 300))   # 240 records, a 60-s gap
    n, spr = len(onsets), 256
    legs = [{"label": label, "unit": "uV", "pmin": -3276.8, "pmax": 3276.7, "dmin": -32768,
             "dmax": 32767, "digital": (rng.normal(0, 4, (n, spr)) * 10).round().astype(int)}
            for label in ("Leg L", "Leg R")]
    path = raw_edf(tmp_path / "d.edf", legs, n_records=n, reserved="EDF+D",
                   tals=[keeping(o) for o in onsets])
    results = [process_recording(path, ScoreConfig(figure=False, parallel_legs=parallel))
               for parallel in (True, False)]
    assert results[0].summary == results[1].summary
    pd.testing.assert_frame_equal(results[0].events, results[1].events)
    summary = results[0].summary
    assert summary["recording_duration_h"] == round(300 / 3600, 3)
    assert summary["total_sleep_time_h"] == round(240 / 3600, 3)
    assert any("1 gaps (60.0 s) filled with NaN" in w for w in summary["warnings"])


@pytest.mark.parametrize(("change", "message"), [
    ({"pmin": 5, "pmax": 5}, "values cannot be scaled from an empty range"),
    ({"dmin": 7, "dmax": 7}, "values cannot be scaled from an empty range"),
])
def test_an_unreadable_leg_stops_scoring_before_anything_else(tmp_path, monkeypatch, change,
                                                              message):
    """A leg channel whose values cannot be scaled is reported at once, before sleep staging
    (which can take minutes), and reading it alone gives the same error."""
    import sleeptwitch.batch._process as process
    from sleeptwitch.batch import ScoreConfig, process_recording

    n = 30
    legs = [{"label": label, "unit": "uV", "pmin": -3276.8, "pmax": 3276.7, "dmin": -32768,
             "dmax": 32767, "digital": ramp(n, 256)} for label in ("Leg L", "Leg R")]
    legs[0].update(change)
    path = raw_edf(tmp_path / "bad.edf", legs, n_records=n)
    staged = []
    monkeypatch.setattr(process, "_resolve_hypnogram",
                        lambda *args: staged.append(args) or (None, {}, None))
    with pytest.raises(RecordingError, match=f"'Leg L' .*{message}"):
        process_recording(path, ScoreConfig(figure=False))
    assert staged == []
    with pytest.raises(RecordingError, match=message):
        read_recording(path, channels=["Leg L"])
    assert read_recording(path, channels=["Leg R"]).signals["Leg R"].data.size == n * 256
