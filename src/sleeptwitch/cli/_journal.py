"""``sleeptwitch journal ...``: log nights, episodes and exposures; list, edit, import, export.

Thin: parse, call :mod:`sleeptwitch.journal`, render. Errors exit with status 2 and a message that
names the problem and the fix; nothing is written when a command fails.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer

journal_app = typer.Typer(
    help="A sleep journal: nights, twitch episodes, evening exposures; trigger statistics and a "
         "report for the doctor. Stored locally (SQLite in your data folder) unless you give "
         "--database-url.",
    no_args_is_help=True,
)
person_app = typer.Typer(help="People whose journals are kept here (a parent may keep a "
                              "child's).", no_args_is_help=True)
edit_app = typer.Typer(help="Change a night or an episode.", no_args_is_help=True)
delete_app = typer.Typer(help="Delete a night (with its episodes) or one episode.",
                         no_args_is_help=True)
journal_app.add_typer(person_app, name="person")
journal_app.add_typer(edit_app, name="edit")
journal_app.add_typer(delete_app, name="delete")


@dataclass
class _Options:
    database_url: str | None
    person: str | None
    now: dt.datetime


def _fail(message: str) -> None:
    typer.secho("Error: ", fg="red", err=True, nl=False)
    typer.echo(message, err=True)
    raise typer.Exit(2)


class _Open:
    """``with _Open(ctx) as (journal, person):`` — a journal handle, closed on the way out."""

    def __init__(self, ctx: typer.Context):
        self.options: _Options = ctx.obj

    def __enter__(self):
        from ..journal import Journal

        self.journal = Journal.open(self.options.database_url)
        return self.journal, self.options.person

    def __exit__(self, *exc: object) -> None:
        self.journal.close()


def _guard(func):
    """Turn a JournalError into a one-line message and exit status 2."""
    import functools

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        from ..journal import JournalError

        try:
            return func(*args, **kwargs)
        except JournalError as exc:
            _fail(str(exc))

    return wrapper


@journal_app.callback()
def journal_main(
    ctx: typer.Context,
    database_url: Annotated[str | None, typer.Option(
        "--database-url", envvar="SLEEPTWITCH_DATABASE_URL",
        help="SQLAlchemy URL or SQLite file path (default: a SQLite file in your user data "
             "folder).")] = None,
    person: Annotated[str | None, typer.Option(
        "--person", help="Whose journal (needed once the journal has several people).")] = None,
) -> None:
    ctx.obj = _Options(database_url, person, dt.datetime.now())


def _pairs(items: list[str] | None, what: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            _fail(f"{item!r} is not NAME=VALUE; write e.g. caffeine_mg=200 or late_coding=yes "
                  f"for a {what}.")
        value = value.strip()
        out[key.strip()] = None if value in ("", "none", "null") else value
    return out


def _parts(text: str | None) -> list[str] | None:
    return None if text is None else [p.strip() for p in text.split(",") if p.strip()]


# People ----------------------------------------------------------------------------------------

@person_app.command("add")
@_guard
def person_add(ctx: typer.Context, name: str,
               birth_date: Annotated[str | None, typer.Option(
                   help="YYYY-MM-DD; lets assessments use the right age.")] = None) -> None:
    """Add a person (for example a child whose nights a parent logs)."""
    with _Open(ctx) as (journal, _):
        added = journal.add_person(name, birth_date)
    typer.echo(f"Added {added['name']}.")


@person_app.command("list")
@_guard
def person_list(ctx: typer.Context) -> None:
    """List the people in this journal."""
    with _Open(ctx) as (journal, _):
        for p in journal.people():
            typer.echo(f"{p['name']}\t{p['birth_date'] or '-'}")


@person_app.command("birth-date")
@_guard
def person_birth_date(ctx: typer.Context, date: str) -> None:
    """Set the birth date of --person (or the only person)."""
    with _Open(ctx) as (journal, person):
        journal.set_birth_date(date, person)
    typer.echo("Saved.")


# Logging ---------------------------------------------------------------------------------------

@journal_app.command()
@_guard
def night(
    ctx: typer.Context,
    date: Annotated[str | None, typer.Option(help="The evening the night began, YYYY-MM-DD "
                                             "(default: the night just ended).")] = None,
    bedtime: Annotated[str | None, typer.Option(help="Got into bed, HH:MM.")] = None,
    lights_out: Annotated[str | None, typer.Option(help="Started trying to sleep, HH:MM.")] = None,
    latency: Annotated[float | None, typer.Option(help="Minutes to fall asleep.")] = None,
    awakenings: Annotated[int | None, typer.Option(help="Times woken in the night.")] = None,
    awake_min: Annotated[float | None, typer.Option(help="Minutes awake in the night.")] = None,
    wake: Annotated[str | None, typer.Option(help="Final waking, HH:MM.")] = None,
    out_of_bed: Annotated[str | None, typer.Option(help="Got up, HH:MM.")] = None,
    quality: Annotated[int | None, typer.Option(help="1 very poor … 5 very good.")] = None,
    sleepy: Annotated[bool | None, typer.Option("--sleepy/--not-sleepy",
                                                help="Sleepy during the day after.")] = None,
    note: Annotated[str | None, typer.Option()] = None,
) -> None:
    """Log a night's sleep diary (Consensus Sleep Diary items); only what you give is changed."""
    from ..journal._when import default_night

    opts: _Options = ctx.obj
    day = date or default_night(opts.now, morning_report=True).isoformat()
    fields = {"bedtime": bedtime, "lights_out": lights_out, "sleep_latency_min": latency,
              "awakenings": awakenings, "awake_min": awake_min, "wake_time": wake,
              "out_of_bed": out_of_bed, "quality": quality, "daytime_sleepiness": sleepy,
              "note": note}
    with _Open(ctx) as (journal, person):
        saved = journal.record_night(day, {k: v for k, v in fields.items() if v is not None},
                                     person)
    typer.echo(f"Saved the night of {saved['date']}.")


@journal_app.command()
@_guard
def episode(
    ctx: typer.Context,
    when: Annotated[str, typer.Argument(help="'now', '15 min ago', '2 h ago', '23:40', or "
                                             "'night' (some time in the night).")] = "now",
    date: Annotated[str | None, typer.Option(help="Pin the night (YYYY-MM-DD).")] = None,
    body: Annotated[str | None, typer.Option(
        help="Body parts, comma-separated: feet, legs, arms, hands, fingers, trunk, "
             "whole_body, ...")] = None,
    intensity: Annotated[int | None, typer.Option(help="1 barely … 5 violent.")] = None,
    woke: Annotated[bool | None, typer.Option("--woke/--did-not-wake")] = None,
    observed_by: Annotated[str | None, typer.Option(help="self, partner, parent or other.")] = None,
    state: Annotated[str | None, typer.Option(help="falling_asleep, asleep, waking_up or "
                                              "awake (during the day).")] = None,
    pattern: Annotated[str | None, typer.Option(help="single_jerk, random_twitches, rhythmic "
                                                "or clusters.")] = None,
    interval: Annotated[float | None, typer.Option(help="Seconds between repeated "
                                                   "movements.")] = None,
    pain: Annotated[bool | None, typer.Option("--pain/--no-pain")] = None,
    spreading: Annotated[bool | None, typer.Option("--spreading/--not-spreading",
                                                   help="Spread to other body parts.")] = None,
    note: Annotated[str | None, typer.Option()] = None,
) -> None:
    """Log a twitch episode in one line, e.g. `sleeptwitch journal episode "15 min ago" --body
    legs --woke`."""
    from ..journal._when import parse_when

    opts: _Options = ctx.obj
    day, clock = parse_when(when, opts.now, date)
    fields = {"time": clock, "body_parts": _parts(body), "intensity": intensity, "woke": woke,
              "observed_by": observed_by, "state": state, "pattern": pattern,
              "interval_seconds": interval, "pain": pain, "spreading": spreading, "note": note}
    with _Open(ctx) as (journal, person):
        episode_id = journal.add_episode(day, {k: v for k, v in fields.items()
                                               if v is not None}, person)
    typer.echo(f"Saved episode {episode_id} on the night of {day.isoformat()}"
               f" ({clock or 'during the night'}).")


@journal_app.command()
@_guard
def exposure(
    ctx: typer.Context,
    factors: Annotated[list[str], typer.Argument(
        help="NAME=VALUE pairs: caffeine_mg=200 caffeine_last=15:30 alcohol_drinks=1 "
             "nicotine=no exercise_min=30 exercise_end=20:00 stress=4 screens_min=60 "
             "magnesium=yes medications=melatonin,ibuprofen, or any custom factor "
             "(late_coding=yes). NAME= with nothing removes a factor.")],
    date: Annotated[str | None, typer.Option(help="The evening, YYYY-MM-DD (default: "
                                             "tonight, or last night before noon).")] = None,
) -> None:
    """Log the evening's exposures (possible triggers) for a night."""
    from ..journal._when import default_night

    opts: _Options = ctx.obj
    day = date or default_night(opts.now).isoformat()
    values = _pairs(factors, "factor")
    with _Open(ctx) as (journal, person):
        saved = journal.set_exposures(day, values, person)
    shown = ", ".join(f"{k}={_show(v)}" for k, v in saved.items()) or "none"
    typer.echo(f"Saved exposures for the night of {day}: {shown}.")


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ",".join(value)
    return str(value)


# Reading and changing --------------------------------------------------------------------------

@journal_app.command("list")
@_guard
def list_nights(
    ctx: typer.Context,
    start: Annotated[str | None, typer.Option("--from", help="First night, YYYY-MM-DD.")] = None,
    end: Annotated[str | None, typer.Option("--to", help="Last night, YYYY-MM-DD.")] = None,
    fmt: Annotated[str, typer.Option("--format", help="text or json.")] = "text",
) -> None:
    """List nights with their episodes (with ids for edit/delete) and exposures."""
    with _Open(ctx) as (journal, person):
        doc = journal.document(person, start=start, end=end, ids=True)
    if fmt == "json":
        typer.echo(json.dumps(doc, indent=1, ensure_ascii=False))
        return
    if fmt != "text":
        _fail(f"--format {fmt!r}: use text or json.")
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{doc['person']['name']}'s journal ({len(doc['nights'])} nights)")
    for column in ("night", "in bed", "quality", "episodes", "exposures"):
        table.add_column(column)
    for n in doc["nights"]:
        eps = "; ".join(f"#{e['id']} {e['time'] or 'night'}"
                        + (f" {','.join(e['body_parts'])}" if e["body_parts"] else "")
                        + (" woke" if e["woke"] else "") for e in n["episodes"])
        bed = f"{n['bedtime'] or '?'}–{n['out_of_bed'] or n['wake_time'] or '?'}"
        expo = ", ".join(f"{k}={_show(v)}" for k, v in n["exposures"].items())
        table.add_row(n["date"], bed, str(n["quality"] or "-"), eps or "-", expo or "-")
    Console(highlight=False).print(table)


@edit_app.command("night")
@_guard
def edit_night(ctx: typer.Context, date: str,
               fields: Annotated[list[str], typer.Argument(
                   help="FIELD=VALUE pairs, e.g. quality=4 bedtime=23:10; FIELD= clears it.")]
               ) -> None:
    """Change fields of a night that is already in the journal."""
    values = _pairs(fields, "night field")
    with _Open(ctx) as (journal, person):
        journal.night(date, person)  # must exist: editing never creates
        journal.record_night(date, values, person)
    typer.echo(f"Updated the night of {date}.")


@edit_app.command("episode")
@_guard
def edit_episode(ctx: typer.Context, episode_id: int,
                 fields: Annotated[list[str], typer.Argument(
                     help="FIELD=VALUE pairs, e.g. intensity=4 body_parts=legs,feet "
                          "woke=yes; FIELD= clears it.")]) -> None:
    """Change fields of an episode (ids are shown by `journal list`)."""
    values = _pairs(fields, "episode field")
    with _Open(ctx) as (journal, person):
        journal.edit_episode(episode_id, values, person)
    typer.echo(f"Updated episode {episode_id}.")


@delete_app.command("night")
@_guard
def delete_night(ctx: typer.Context, date: str,
                 yes: Annotated[bool, typer.Option("--yes", help="Do not ask.")] = False) -> None:
    """Delete a night with its episodes and exposures."""
    if not yes and not typer.confirm(f"Delete the night of {date} and its episodes?"):
        raise typer.Exit(1)
    with _Open(ctx) as (journal, person):
        journal.delete_night(date, person)
    typer.echo(f"Deleted the night of {date}.")


@delete_app.command("episode")
@_guard
def delete_episode(ctx: typer.Context, episode_id: int) -> None:
    """Delete one episode."""
    with _Open(ctx) as (journal, person):
        journal.delete_episode(episode_id, person)
    typer.echo(f"Deleted episode {episode_id}.")


# Statistics and assessment ---------------------------------------------------------------------

def _document_or_fail(journal, person, start=None, end=None) -> dict[str, Any]:
    document = journal.document(person, start=start, end=end)
    if not document["nights"]:
        _fail("the journal has no nights" + (f" between {start or 'the start'} and "
                                               f"{end or 'the end'}" if start or end else "")
              + "; log some with `sleeptwitch journal night` and `... episode`.")
    return document


@journal_app.command()
@_guard
def triggers(
    ctx: typer.Context,
    fmt: Annotated[str, typer.Option("--format", help="text or json.")] = "text",
    audience: Annotated[str, typer.Option(help="parent, patient or clinician.")] = "patient",
    start: Annotated[str | None, typer.Option("--from", help="First night, YYYY-MM-DD.")] = None,
    end: Annotated[str | None, typer.Option("--to", help="Last night, YYYY-MM-DD.")] = None,
) -> None:
    """Which factors go with more (or fewer) twitch episodes: rate ratios with 95% intervals,
    corrected for testing many factors. An association, never proof of a cause."""
    from ..journal import trigger_associations

    with _Open(ctx) as (journal, person):
        document = _document_or_fail(journal, person, start, end)
    result = trigger_associations(document)
    if fmt == "json":
        typer.echo(json.dumps(result, indent=1))
        return
    _check_text_format(fmt)
    from rich.console import Console
    from rich.table import Table

    from ..knowledge import load_knowledge

    k = load_knowledge()
    table = Table(title=f"Factors and twitch episodes over {result['nights']} nights")
    for column in ("factor", "nights with/without", "rate ratio (95% CI)", "q", "verdict"):
        table.add_column(column)
    for f in result["factors"]:
        ratio = ("-" if f["rate_ratio"] is None else
                 f"{f['rate_ratio']:.2f} ({_num(f['ci_low'])}–{_num(f['ci_high'])})")
        q = "-" if f["q"] is None else f"{f['q']:.3f}"
        table.add_row(f["name"], f"{f['n_with']}/{f['n_without']}", ratio, q,
                      f["verdict"].replace("_", " "))
    console = Console(highlight=False)
    console.print(table)
    shown = sorted({f["verdict"] for f in result["factors"]})
    for verdict in shown:
        console.print(f"[bold]{verdict.replace('_', ' ')}[/bold]: "
                      f"{k.message('journal_' + verdict, audience)}")
    console.print(k.message("journal_method", audience))


def _num(value: float | None) -> str:
    return "?" if value is None else f"{value:.2f}"


def _check_text_format(fmt: str) -> None:
    if fmt != "text":
        _fail(f"--format {fmt!r}: use text or json.")


@journal_app.command()
@_guard
def stats(
    ctx: typer.Context,
    fmt: Annotated[str, typer.Option("--format", help="text or json.")] = "text",
    start: Annotated[str | None, typer.Option("--from", help="First night, YYYY-MM-DD.")] = None,
    end: Annotated[str | None, typer.Option("--to", help="Last night, YYYY-MM-DD.")] = None,
) -> None:
    """Episodes per night and their trend, timing in the night, sleep efficiency and quality."""
    from ..journal import analyse

    with _Open(ctx) as (journal, person):
        document = _document_or_fail(journal, person, start, end)
    result = analyse(document)
    if fmt == "json":
        typer.echo(json.dumps(result, indent=1))
        return
    _check_text_format(fmt)
    counts = [n["episodes"] for n in result["per_night"]]
    sleep, trend, timing = result["sleep"], result["trend"], result["timing"]
    typer.echo(f"{result['nights']} nights, {result['first_date']} to {result['last_date']}")
    typer.echo(f"episodes per night: mean {sum(counts) / len(counts):.2f}, "
               f"most {max(counts)}; nights with an episode: "
               f"{sum(c > 0 for c in counts)}")
    typer.echo("trend: " + trend["verdict"].replace("_", " ")
               + ("" if trend.get("slope_per_week") is None else
                  f" ({trend['slope_per_week']:+.3f}/week, 95% CI {_num(trend['ci_low'])} to "
                  f"{_num(trend['ci_high'])})"))
    typer.echo("timing: " + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in timing.items()))
    typer.echo(f"sleep efficiency {_pct(sleep['mean_efficiency'])}, time to fall asleep "
               f"{_num(sleep['mean_latency_min'])} min, quality {_num(sleep['mean_quality'])}/5, "
               f"time in bed {_num(sleep['mean_time_in_bed_h'])} h (means)")


def _pct(value: float | None) -> str:
    return "?" if value is None else f"{100 * value:.0f}%"


@journal_app.command("assess")
@_guard
def assess_from_journal(
    ctx: typer.Context,
    answers: Annotated[Path | None, typer.Option(
        "--answers", "-a", help="More findings as a JSON or YAML intake file; the journal adds "
        "what its entries show.")] = None,
    fmt: Annotated[str, typer.Option("--format", help="text, json, or fhir (a FHIR R4 "
                                         "QuestionnaireResponse).")] = "text",
    audience: Annotated[str, typer.Option(help="parent, patient or clinician.")] = "patient",
    save: Annotated[bool, typer.Option(help="Keep the result for the doctor's report.")] = True,
    interview: Annotated[bool, typer.Option(
        "--interview", help="Then ask, in the terminal, the questions the journal cannot "
        "answer (the same interview as `sleeptwitch assess`).")] = False,
) -> None:
    """Assess from the journal: its patterns (episodes while awake, rhythmic kicks a partner
    saw, pain, spreading, nightly waking with daytime sleepiness) become findings."""
    from ..journal import journal_intake, merge_intakes
    from ..knowledge import load_knowledge
    from ..triage import IntakeError, assess

    extra: dict[str, Any] = {}
    if answers is not None:
        from ._app import _read_answers

        extra = _read_answers(answers)
        if not isinstance(extra, dict):
            _fail(f"{answers}: an intake file holds one object of findings.")
    with _Open(ctx) as (journal, person):
        document = _document_or_fail(journal, person)
        found = journal_intake(document)
        intake = merge_intakes(extra, found.intake)
        if "age_months" not in intake and "age_years" not in intake:
            _fail("the assessment needs an age: set the birth date with `sleeptwitch journal "
                  "person birth-date YYYY-MM-DD`, or give age_years in --answers.")
        if "age_years" in intake and "age_months" in intake:
            intake.pop("age_months")
        intake["audience"] = audience
        knowledge = load_knowledge()
        if interview:
            from ._app import _console
            from ._interview import run_interview

            intake = run_interview(knowledge, _console(), known=intake)
        try:
            result = assess(intake, knowledge).to_dict()
        except IntakeError as exc:
            _fail(str(exc))
        if save:
            journal.save_assessment(result, intake, person)
    if fmt == "json":
        typer.echo(json.dumps({"journal_patterns": found.evidence, "assessment": result},
                              indent=1, ensure_ascii=False))
        return
    if fmt == "fhir":
        from ..journal import assessment_to_fhir

        typer.echo(json.dumps(assessment_to_fhir(result, intake), indent=1, ensure_ascii=False))
        return
    _check_text_format(fmt)
    from rich.console import Console

    from ._render import render_assessment

    console = Console(highlight=False)
    if found.evidence:
        console.print(f"[bold]{knowledge.message('journal_patterns_found', audience)}[/bold]")
        for item in found.evidence:
            console.print(f"  • {item['what']}: {len(item['nights'])} nights "
                          f"({', '.join(item['nights'][:5])}"
                          f"{', …' if len(item['nights']) > 5 else ''})")
    render_assessment(result, knowledge, console)


# Files -----------------------------------------------------------------------------------------

@journal_app.command("import")
@_guard
def import_file(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="A .json exchange document or a .csv journal.")],
    replace: Annotated[bool, typer.Option(help="Overwrite nights already in the journal.")
                       ] = False,
) -> None:
    """Import a journal file: all of it, or nothing if any entry is bad."""
    from ..journal import read_journal_file

    document = read_journal_file(path)
    with _Open(ctx) as (journal, person):
        counts = journal.import_document(document, person, replace=replace)
    typer.echo(f"Imported {counts['nights']} nights, {counts['episodes']} episodes and "
               f"{counts['exposures']} exposures"
               + (f" (replaced {counts['replaced']} nights)" if counts["replaced"] else "") + ".")


@journal_app.command("export")
@_guard
def export_file(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="Where to write: .json (exchange document), .csv, "
                                              "or .fhir.json (a FHIR R4 Bundle).")],
    start: Annotated[str | None, typer.Option("--from", help="First night, YYYY-MM-DD.")] = None,
    end: Annotated[str | None, typer.Option("--to", help="Last night, YYYY-MM-DD.")] = None,
) -> None:
    """Export a journal (the whole of it, or --from/--to)."""
    from ..journal import write_journal_file

    with _Open(ctx) as (journal, person):
        document = journal.document(person, start=start, end=end)
    if path.name.lower().endswith(".fhir.json"):
        from .._files import atomic_write
        from ..journal import journal_to_fhir

        bundle = journal_to_fhir(document, tz=dt.datetime.now().astimezone().tzinfo)
        text = json.dumps(bundle, indent=1, ensure_ascii=False) + "\n"
        atomic_write(path, text, private=True)
    else:
        write_journal_file(document, path)
    typer.echo(f"Wrote {len(document['nights'])} nights to {path}.")


# The doctor's report ---------------------------------------------------------------------------

@journal_app.command("report")
@_guard
def report(
    ctx: typer.Context,
    out: Annotated[Path, typer.Option("--out", "-o", help="Where to write: report.pdf or "
                                                          "report.html (one self-contained "
                                                          "file).")],
    start: Annotated[str | None, typer.Option("--from", help="First night, YYYY-MM-DD "
                                              "(default: the first in the journal).")] = None,
    end: Annotated[str | None, typer.Option("--to", help="Last night, YYYY-MM-DD (default: "
                                            "the last in the journal).")] = None,
    charts: Annotated[Path | None, typer.Option(
        "--charts", help="Also write each chart to this folder as PNG and SVG.")] = None,
    audience: Annotated[str, typer.Option(help="clinician, patient or parent: whose words the "
                                               "report uses.")] = "clinician",
) -> None:
    """A report for the doctor: summary, charts (episodes per night, timing, triggers with
    intervals, sleep) and the latest saved assessment with its sources."""
    from ..report._journal_report import (
        REPORT_SUFFIXES,
        build_journal_report,
        write_journal_report,
    )
    from ..vocabulary import AUDIENCES, option_message

    if out.suffix.lower() not in REPORT_SUFFIXES:
        _fail(f"--out {out}: the file name must end in .pdf or .html (e.g. --out report.pdf).")
    if audience not in AUDIENCES:
        _fail(option_message("--audience", audience, AUDIENCES))
    with _Open(ctx) as (journal, person):
        document = journal.document(person, start=start, end=end)
        saved = journal.latest_assessment(person)
    try:
        built = build_journal_report(document, None, saved, audience=audience, start=start,
                                     end=end)
        write_journal_report(built, out, charts_dir=charts)
    except ValueError as exc:
        _fail(str(exc))
    typer.echo(f"Wrote the report of {built.summary['nights_logged']} nights "
               f"({built.start} to {built.end}) to {out}"
               + (f", charts to {charts}" if charts else "") + ".")
