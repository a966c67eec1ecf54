"""The ``sleeptwitch`` command line. Thin: parse, call the library, render."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

app = typer.Typer(
    name="sleeptwitch",
    help="Is this twitching during sleep normal, or does it need a doctor? "
         "Evidence-cited assessment of sleep movements.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
schema_app = typer.Typer(help="Print the JSON Schemas of sleeptwitch's inputs.",
                         no_args_is_help=True)
app.add_typer(schema_app, name="schema")

from ._journal import journal_app  # noqa: E402

app.add_typer(journal_app, name="journal")


class Format(StrEnum):
    text = "text"
    json = "json"


class Audience(StrEnum):
    parent = "parent"
    patient = "patient"
    clinician = "clinician"


def _console(stderr: bool = False):
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, soft_wrap=False)


def _fail(message: str, code: int = 2) -> None:
    typer.secho("Error: ", fg="red", err=True, nl=False)
    typer.echo(message, err=True)
    raise typer.Exit(code)


def _read_answers(path: Path) -> Any:
    if str(path) == "-":
        text = sys.stdin.read()
        name = "<stdin>"
    else:
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            _fail(f"cannot read answers file {path}: it does not exist")
        except (OSError, UnicodeDecodeError) as exc:
            _fail(f"cannot read answers file {path}: {exc}. Give a UTF-8 JSON or YAML file.")
        name = str(path)
    import yaml

    try:
        if name.endswith(".json"):
            return json.loads(text)
        return yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        _fail(f"{name} is not valid JSON or YAML: {exc}")


@app.command()
def assess(
    answers: Annotated[Path | None, typer.Option(
        "--answers", "-a", help="A JSON or YAML intake file ('-' reads stdin). Without it, "
        "the questions are asked interactively.")] = None,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.text,
    audience: Annotated[Audience | None, typer.Option(
        help="Whose words to use: parent, patient or clinician (overrides the intake).")] = None,
) -> None:
    """Assess sleep movements: triage level, likely conditions, red flags, advice, sources."""
    from ..knowledge import load_knowledge
    from ..triage import IntakeError
    from ..triage import assess as run_assess

    knowledge = load_knowledge()
    if answers is None:
        if not sys.stdin.isatty() and fmt is Format.json:
            _fail("no --answers file given and no terminal to ask questions in. "
                  "Use --answers FILE (JSON or YAML), or run in a terminal.")
        from ._interview import InputEnded, run_interview

        try:
            data = run_interview(knowledge, _console(),
                                 audience=audience.value if audience else None)
        except InputEnded:
            _fail("the input ended before the age was given; nothing was assessed. Run "
                  "'sleeptwitch assess' in a terminal, or give --answers FILE.")
        interactive = True
    else:
        data = _read_answers(answers)
        interactive = False
    try:
        result = run_assess(data, knowledge, audience=audience.value if audience else None)
    except IntakeError as exc:
        _fail(str(exc))
    payload = result.to_dict()
    if fmt is Format.json:
        typer.echo(json.dumps(payload, indent=2, ensure_ascii=False))
    else:
        from ._render import render_assessment

        render_assessment(payload, knowledge, _console(), interactive=interactive)
    if interactive:
        from ._interview import offer_to_save

        offer_to_save(data, _console())


@schema_app.command("intake")
def schema_intake() -> None:
    """Print the intake's JSON Schema (the fields an assessment takes)."""
    from ..triage import Intake

    schema = Intake.model_json_schema()
    schema["title"] = "sleeptwitch intake"
    schema["description"] = ("Findings about one person's movements during sleep. Every field is "
                             "optional except the age (exactly one of age_months or age_years); "
                             "a missing field means 'not known', never 'no'.")
    typer.echo(json.dumps(schema, indent=2))


@schema_app.command("knowledge")
def schema_knowledge() -> None:
    """Print the JSON Schema the knowledge files follow."""
    from ..knowledge import knowledge_schema

    typer.echo(json.dumps(knowledge_schema(), indent=2))


@app.command()
def conditions(
    condition_id: Annotated[str | None, typer.Argument(
        metavar="[ID]", help="A condition id; without it, all conditions are listed.")] = None,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.text,
    audience: Annotated[Audience, typer.Option(help="Whose words to use.")] = Audience.clinician,
) -> None:
    """List the conditions in the knowledge base, or show one."""
    from ..knowledge import load_knowledge
    from ..vocabulary import option_message

    k = load_knowledge()
    aud = audience.value
    if condition_id is None:
        rows = [{"id": cid, "name": k.text(c["names"], aud), "category": c["category"],
                 "triage": c["triage"], "icd10cm": (c.get("icd10cm") or {}).get("code"),
                 "status": c["status"]} for cid, c in sorted(k.conditions.items())]
        if fmt is Format.json:
            typer.echo(json.dumps(rows, indent=2))
            return
        from rich.table import Table

        table = Table("id", "name", "category", "triage", "ICD-10-CM", "status")
        for r in rows:
            table.add_row(r["id"], r["name"], r["category"], r["triage"], r["icd10cm"] or "-",
                          r["status"])
        _console().print(table)
        return
    if condition_id not in k.conditions:
        _fail(option_message("condition", condition_id, sorted(k.conditions),
                             extra="Run 'sleeptwitch conditions' to list them."))
    c = k.conditions[condition_id]
    if fmt is Format.json:
        from ..knowledge import thaw

        # Authoring notes (review_note, where the text is held) are not for users.
        out = {key: v for key, v in thaw(c).items() if key not in ("review_note",)}
        out["citations"] = [{"id": r, **{f: v for f, v in thaw(k.citations[r]).items()
                                         if f != "held_as"}} for r in c["references"]]
        typer.echo(json.dumps(out, indent=2, ensure_ascii=False, default=str))
        return
    from rich.text import Text

    con = _console()
    con.print(Text(k.text(c["names"], aud), style="bold"))
    code = (c.get("icd10cm") or {}).get("code")
    con.print(Text(f"{condition_id} | {c['category']} | triage: {c['triage']} | ICD-10-CM: "
                   f"{code or '-'} | status: {c['status']}", style="dim"))
    con.print(Text(k.text(c["summary"], aud)))
    if c["age"].get("typical"):
        con.print(Text("Age: " + k.text(c["age"]["typical"], aud)))
    con.print(Text("Features", style="bold"))
    for f in c["features"]:
        mark = "+" if f["weight"] > 0 else "-"
        con.print(Text(f"  {mark}{abs(f['weight']):g} {k.text(f['reason'], aud)} "
                       f"[{', '.join(f['references'])}]"))
    for key, title in (("advice", "Advice"), ("avoid", "Avoid"), ("pitfalls", "Pitfalls")):
        if c.get(key):
            con.print(Text(title, style="bold"))
            for aid in c[key]:
                con.print(Text(f"  * {k.text(k.advice[aid]['text'], aud)}"))
    con.print(Text("Sources", style="bold"))
    for r in c["references"]:
        con.print(Text(f"  {r}: {k.citations[r]['title']}. {k.citations[r]['source']}",
                       style="dim"))


class Rules(StrEnum):
    wasm2016 = "wasm2016"
    aasm = "aasm"


class Staging(StrEnum):
    auto = "auto"
    off = "off"


@app.command()
def score(
    recording: Annotated[Path, typer.Argument(help="An EDF, EDF+ or BDF recording.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for the outputs.")],
    rules: Annotated[Rules, typer.Option(help="Scoring rules.")] = Rules.wasm2016,
    hypnogram: Annotated[Path | None, typer.Option(
        help="CSV/TSV of 30-s sleep stages (default: stage annotations in the recording, else "
             "automatic staging).")
    ] = None,
    staging: Annotated[Staging, typer.Option(
        help="Without a hypnogram or stage annotations: 'auto' estimates the stages from the "
             "EEG with yasa (needs the 'staging' extra); 'off' scores the whole recording.")
    ] = Staging.auto,
    eeg: Annotated[str | None, typer.Option(
        help="EEG channel for automatic staging (default: found by name, e.g. C4-M1).")] = None,
    lm_events: Annotated[str | None, typer.Option(
        help="Start from leg movements already scored: a BIDS events.tsv, an EDF+ file with LM "
             "annotations, or 'annotations' for those in the recording.")] = None,
    left: Annotated[str | None, typer.Option(help="Left leg channel name.")] = None,
    right: Annotated[str | None, typer.Option(help="Right leg channel name.")] = None,
    figure: Annotated[bool, typer.Option(help="Write the PNG figure.")] = True,
) -> None:
    """Score leg movements (LM, PLM series, PLMS index) of a sleep recording.

    Writes events.tsv, summary.json, an EDF+ annotation file and a PNG figure to --out.
    """
    from rich.progress import (
        BarColumn,
        Progress,
        TaskProgressColumn,
        TextColumn,
        TimeElapsedColumn,
    )

    from ..batch import ScoreConfig, process_recording
    from ..io import RecordingError

    config = ScoreConfig(rules=rules.value, hypnogram=hypnogram, lm_events=lm_events,
                         left=left, right=right, out_dir=out, figure=figure,
                         staging=staging.value, eeg=eeg)
    # On stderr and only on a terminal, so that stdout (or a log) holds just the results.
    con = _console(stderr=True)
    try:
        with Progress(TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(),
                      TimeElapsedColumn(), console=con, transient=True,
                      disable=not con.is_terminal) as bar:
            task = bar.add_task(f"{recording.name}: starting", total=1.0)
            result = process_recording(
                recording, config, progress=lambda stage, done: bar.update(
                    task, completed=done, description=f"{recording.name}: {stage}"))
    except (RecordingError, ValueError, OSError, ImportError) as exc:
        _fail(str(exc))
    s = result.summary
    if s.get("plms_index") is None:   # say that no index is given, and why
        if (s.get("unscorable_share") or 0) >= 0.999:
            why = "no part of the leg channels could be scored (see the warnings)"
        elif not s.get("total_sleep_time_h"):
            why = "the recording holds no scorable sleep to divide by"
        else:
            why = "the scoring gave none (see the warnings)"
        typer.echo(f"{recording.name}: no PLMS index given: {why} ({s['rules']}; "
                   f"{s.get('n_lm', 0)} LMs; sleep {s['total_sleep_time_h']} h; staging: "
                   f"{s['hypnogram_source']})")
    else:
        typer.echo(f"{recording.name}: PLMS index {s['plms_index']}/h, CLM index "
                   f"{s['clm_index']}/h, LM index {s['lm_index']}/h, periodicity "
                   f"{s['periodicity_index']} ({s['rules']}; sleep {s['total_sleep_time_h']} h;"
                   f" staging: {s['hypnogram_source']})")
    for w in s["warnings"]:
        typer.secho(f"warning: {w}", fg="yellow", err=True)
    for name, path in result.outputs.items():
        typer.echo(f"  {name}: {path}")


def _read_events(path: Path):
    """LM rows of an events.tsv, or of DIR/events.tsv."""
    from ..io import read_events_tsv

    if path.is_dir():
        path = path / "events.tsv"
    table = read_events_tsv(path)
    if "type" in table.columns:
        table = table[table["type"].astype(str).str.lower() == "lm"]
    return table.reset_index(drop=True)


def _read_summary(path: Path) -> dict | None:
    file = path / "summary.json" if path.is_dir() else path.with_name("summary.json")
    return json.loads(file.read_text()) if file.is_file() else None


@app.command()
def compare(
    detected: Annotated[Path, typer.Argument(help="events.tsv (or its folder) to check.")],
    reference: Annotated[Path, typer.Argument(help="events.tsv (or folder) of the reference "
                                                   "scoring, e.g. an expert's.")],
    tolerance: Annotated[float, typer.Option(help="Onset tolerance in seconds.")] = 0.5,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.text,
) -> None:
    """Agreement of leg-movement events with a reference: precision, recall, F1, indices."""
    from ..io import RecordingError
    from ..scoring import compare_indices, match_events

    try:
        det, ref = _read_events(detected), _read_events(reference)
    except (RecordingError, ValueError, OSError) as exc:
        _fail(str(exc))
    result: dict[str, Any] = {"events": match_events(det, ref, onset_tolerance_s=tolerance)}
    sd, sr = _read_summary(detected), _read_summary(reference)
    if sd and sr:
        result["indices"] = compare_indices(sd, sr)
    if fmt is Format.json:
        typer.echo(json.dumps(result, indent=2))
        return
    e = result["events"]
    typer.echo(f"LM events: precision {e['precision']}, recall {e['recall']}, F1 {e['f1']} "
               f"({e['true_positives']} matched, {e['false_positives']} extra, "
               f"{e['false_negatives']} missed; median onset error {e['median_onset_error_s']} s)")
    for key, d in result.get("indices", {}).items():
        typer.echo(f"{key}: {d['detected']} vs {d['reference']} (difference {d['difference']})")


@app.command("knowledge")
def knowledge_check(
    path: Annotated[Path | None, typer.Argument(
        help="A knowledge folder to check (default: the bundled one).")] = None,
) -> None:
    """Check the knowledge base: schema, references, vocabulary. Exits 1 on any problem."""
    from ..knowledge import check_knowledge, load_knowledge
    from ..triage import intake_fields

    k = load_knowledge(path)
    problems = check_knowledge(k, fields=intake_fields())
    for p in problems:
        typer.echo(p)
    typer.echo(f"{len(problems)} problem(s) in {len(k.raw)} files; knowledge {k.version}")
    raise typer.Exit(1 if problems else 0)


@app.command()
def demo(
    out: Annotated[Path, typer.Option(help="Folder for the sample intakes and results.")] = Path(
        "sleeptwitch-demo"),
) -> None:
    """Run the main jobs on sample data: assess the source articles' example cases, and score
    the leg movements of a simulated night written as EDF+."""
    from ..knowledge import load_knowledge
    from ..triage import assess as run_assess
    from ._samples import SAMPLE_INTAKES

    k = load_knowledge()
    out.mkdir(parents=True, exist_ok=True)
    con = _console()
    for name, intake in SAMPLE_INTAKES.items():
        (out / f"{name}.intake.json").write_text(json.dumps(intake, indent=2))
        result = run_assess(intake, k).to_dict()
        (out / f"{name}.assessment.json").write_text(json.dumps(result, indent=2))
        top = result["conditions"][0]["name"] if result["conditions"] else "-"
        con.print(f"[bold]{name}[/bold]: {result['triage']}  (leading: {top}; "
                  f"red flags: {len(result['red_flags'])})")
    from ..batch import ScoreConfig, process_recording
    from ..simulate import simulate_night, write_simulated_edf

    night = simulate_night(2.0, n_plm_trains=4, n_isolated=15, n_apneas=5, seed=0)
    edf = write_simulated_edf(night, out / "sample_night.edf", extra_channels=3)
    scored = process_recording(edf, ScoreConfig(out_dir=out / "sample_night_scored"))
    s = scored.summary
    con.print(f"[bold]sample_night.edf[/bold] (simulated 2-h night): PLMS index "
              f"{s['plms_index']}/h, CLM index {s['clm_index']}/h ({s['rules']})")
    _demo_journal(out, con)
    con.print(f"Wrote sample intakes, assessments, a scored sample night and a sample journal "
              f"to {out}/. Try: sleeptwitch assess --answers "
              f"{out}/{next(iter(SAMPLE_INTAKES))}.intake.json, or sleeptwitch journal "
              f"--database-url {out}/journal.sqlite triggers")


def _demo_journal(out: Path, con) -> None:
    """A simulated 60-night journal in its own database under ``out`` (never the user's)."""
    from ..journal import Journal, simulate_journal, trigger_associations

    document = simulate_journal(60, seed=0)
    with Journal.open(f"sqlite:///{(out / 'journal.sqlite').resolve()}") as journal:
        journal.import_document(document, replace=True)
        document = journal.document()
    found = [f for f in trigger_associations(document)["factors"]
             if f["verdict"] in ("goes_with_more", "goes_with_fewer")]
    shown = ", ".join(f"{f['name']} (rate ratio {f['rate_ratio']:.2f}, 95% CI "
                      f"{f['ci_low']:.2f}-{f['ci_high']:.2f})" for f in found) or "none"
    con.print(f"[bold]journal.sqlite[/bold] (simulated 60 nights): factors that go with more or "
              f"fewer episodes: {shown}")


def main() -> None:
    app()
