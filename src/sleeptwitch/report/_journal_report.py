"""The doctor's report of a sleep journal: a one-minute summary, charts, the latest assessment.

:func:`build_journal_report` gathers what the layouts need into a :class:`JournalReport` (numbers,
the shown sentences with their citation numbers, the assessment); :func:`write_journal_report`
writes it as one self-contained HTML file (inline SVG charts, print CSS, no scripts or external
resources) or as a PDF (page 1 the summary, then the charts, then the sources), and optionally
every chart as PNG and SVG.

Every sentence shown comes from the knowledge (``messages.yaml``) or from the saved assessment,
and is followed by the numbers of the sources it cites; headings, labels, numbers and dates are
the only text the layouts add.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import statistics
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .._files import atomic_write
from ..vocabulary import AUDIENCES, LEVELS, check_option
from ._journal_figures import (
    TIMING_LABELS,
    factor_label,
    plot_episode_timing,
    plot_episodes_per_night,
    plot_sleep_over_time,
    plot_trigger_forest,
    rate_ratio_text,
)

__all__ = ["JournalReport", "build_journal_report", "write_journal_report", "journal_figures",
           "AUDIENCES", "REPORT_SUFFIXES"]

REPORT_SUFFIXES = (".html", ".pdf")
CHART_DPI = 150
MAX_ASSOCIATIONS = 5
MAX_CONDITIONS = 4
MAX_QUESTIONS = 3
VERDICTS = ("goes_with_more", "goes_with_fewer", "no_clear_link", "not_enough_data")
LEVEL_LABELS = {"reassure_self_care": "Reassure / self-care", "routine_visit": "Routine visit",
                "prompt_evaluation": "Prompt evaluation", "urgent": "Urgent"}
LEVEL_COLORS = {"reassure_self_care": "#2e7d32", "routine_visit": "#9a6700",
                "prompt_evaluation": "#c25400", "urgent": "#b71c1c"}
TREND_LABELS = {"rising": "rising", "falling": "falling", "no_clear_trend": "no clear trend",
                "not_enough_data": "not enough data"}
CHARTS = (("episodes_per_night", "Episodes per night"), ("timing", "Timing of episodes"),
          ("triggers", "Possible triggers"), ("sleep", "Sleep efficiency and quality"))


@dataclass(frozen=True)
class JournalReport:
    """What the HTML and PDF layouts show; build with :func:`build_journal_report`.

    ``messages`` maps a knowledge message key to ``{"text", "refs"}`` (``refs``: numbers into
    ``citations``); ``assessment`` is None when no assessment was given. ``factors`` are the
    trigger rows of the analysis with ``label`` and ``ci_text`` added; ``associations`` those with
    a ``goes_with_*`` verdict (at most ``MAX_ASSOCIATIONS``, smallest p first). ``patterns``
    are the journal patterns worth a doctor's attention (``journal_patterns``), each with
    ``label``, ``nights`` (a count) and ``in_assessment`` (its finding is in the assessment's
    intake).
    """

    audience: str
    person: Mapping[str, Any]
    start: str
    end: str
    summary: Mapping[str, Any]
    per_night: tuple[Mapping[str, Any], ...]
    trend: Mapping[str, Any]
    timing: Mapping[str, int]
    factors: tuple[Mapping[str, Any], ...]
    associations: tuple[Mapping[str, Any], ...]
    patterns: tuple[Mapping[str, Any], ...]
    messages: Mapping[str, Mapping[str, Any]]
    assessment: Mapping[str, Any] | None
    citations: tuple[Mapping[str, Any], ...]
    knowledge_version: str

    @property
    def verdicts_present(self) -> tuple[str, ...]:
        found = {f["verdict"] for f in self.factors}
        return tuple(v for v in VERDICTS if v in found)


def _iso(value: str | dt.date | None, name: str) -> str | None:
    if value is None:
        return None
    try:
        return (value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
                ).isoformat()
    except ValueError:
        raise ValueError(f"{name}: expected a date YYYY-MM-DD, got {value!r}") from None


class _Citer:
    """Numbers citations in order of first use."""

    def __init__(self, knowledge: Any, fallback: Iterable[Mapping[str, Any]] = ()):
        self.k = knowledge
        self.fallback = {c["id"]: c for c in fallback if "id" in c}
        self.order: list[str] = []

    def __call__(self, refs: Iterable[str]) -> list[int]:
        numbers = []
        for ref in refs:
            if ref not in self.k.citations and ref not in self.fallback:
                continue
            if ref not in self.order:
                self.order.append(ref)
            numbers.append(self.order.index(ref) + 1)
        return numbers

    def table(self) -> tuple[dict[str, Any], ...]:
        out = []
        for i, ref in enumerate(self.order, start=1):
            c = self.k.citations.get(ref) or self.fallback[ref]
            out.append({"number": i, "id": ref, "title": c.get("title", ref),
                        "source": c.get("source", ""), "status": c.get("status", "")})
        return tuple(out)


def _age_years(birth_date: str | None, on: str) -> int | None:
    if not birth_date:
        return None
    born, day = dt.date.fromisoformat(birth_date), dt.date.fromisoformat(on)
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def _summary(per_night: Sequence[Mapping[str, Any]], analysis: Mapping[str, Any], start: str,
             end: str) -> dict[str, Any]:
    counts = [n["episodes"] for n in per_night if n["episodes"] is not None]
    woke = [n for n in per_night if n["episodes"] is not None and (n["episodes_woke"] or 0) > 0]
    tst = [n["total_sleep_h"] for n in per_night if n["total_sleep_h"] is not None]
    sleep = analysis.get("sleep") or {}
    days = (dt.date.fromisoformat(end) - dt.date.fromisoformat(start)).days + 1
    return {
        "nights_in_period": days,
        "nights_logged": len(per_night),
        "nights_counted": len(counts),
        "episodes_total": int(sum(counts)),
        "episodes_median": statistics.median(counts) if counts else None,
        "episodes_min": min(counts) if counts else None,
        "episodes_max": max(counts) if counts else None,
        "nights_woke": len(woke),
        "nights_woke_pct": 100.0 * len(woke) / len(counts) if counts else None,
        "mean_efficiency_pct": (100.0 * sleep["mean_efficiency"]
                                if sleep.get("mean_efficiency") is not None else None),
        "mean_quality": sleep.get("mean_quality"),
        "mean_time_in_bed_h": sleep.get("mean_time_in_bed_h"),
        "mean_latency_min": sleep.get("mean_latency_min"),
        "mean_total_sleep_h": sum(tst) / len(tst) if tst else None,
    }


def _in_intake(intake: Mapping[str, Any], name: str, value: Any) -> bool:
    have = intake.get(name)
    if isinstance(have, list | tuple):
        return value in have
    return have is not None and have == value


def _outcome(result: Mapping[str, Any]) -> tuple[Any, ...]:
    """What an assessment decided, apart from its wording."""
    return (result.get("triage"), bool(result.get("provisional")),
            tuple(rf.get("id") for rf in result.get("red_flags", ())),
            tuple((c.get("id"), c.get("likelihood")) for c in result.get("conditions", ())))


def _in_words_of(record: Mapping[str, Any], audience: str, k: Any) -> Mapping[str, Any]:
    """The saved assessment in ``audience``'s words: assessed again from its saved intake (the
    age in it is the age then) when it was saved for someone else under this same knowledge
    version, and kept as saved unless the outcome is exactly the one saved."""
    result, intake = record.get("result", record), record.get("intake")
    if (not isinstance(intake, Mapping) or not isinstance(result, Mapping)
            or result.get("audience") == audience
            or str(result.get("knowledge_version")) != str(k.version)):
        return result
    from ..triage import IntakeError, assess

    try:
        again = assess(dict(intake), k, audience=audience).to_dict()
    except (IntakeError, ValueError):
        return result
    return again if _outcome(again) == _outcome(result) else result


def _assessment_view(record: Mapping[str, Any], audience: str, k: Any,
                     say: Callable[[str], dict[str, Any]], cite: _Citer) -> dict[str, Any]:
    result = record.get("result", record)
    if not isinstance(result, Mapping) or "triage" not in result:
        raise ValueError("assessment: expected Journal.latest_assessment() or "
                         "Assessment.to_dict() output (with 'triage').")
    result = _in_words_of(record, audience, k)
    triage = result["triage"]
    check_option("assessment triage", triage, LEVELS)
    view: dict[str, Any] = {
        "created_at": record.get("created_at"),
        "triage": triage,
        "level_label": LEVEL_LABELS[triage],
        "level_color": LEVEL_COLORS[triage],
        "level": say(f"level_{triage}"),
        "provisional": say("provisional") if result.get("provisional") else None,
        "red_flags": [{"name": rf.get("name") or rf.get("id"), "text": rf["text"],
                       "refs": cite(rf.get("citations", ()))}
                      for rf in result.get("red_flags", ())],
        "conditions": [{"name": c["name"], "likelihood": c.get("likelihood", ""),
                        "refs": cite(c.get("citations", ()))}
                       for c in list(result.get("conditions", ()))[:MAX_CONDITIONS]],
        "questions": [{"text": q["question"], "refs": cite(q.get("citations", ()))}
                      for q in list(result.get("next_questions", ()))[:MAX_QUESTIONS]]
        if result.get("provisional") else [],
        "watch_for": ([{"name": w["name"], "refs": cite(w.get("citations", ()))}
                       for w in result.get("watch_for", ())]
                      if audience != "clinician" and triage != "urgent" else []),
        "audience": result.get("audience"),
        "knowledge_version": result.get("knowledge_version"),
    }
    return view


def build_journal_report(document: Mapping[str, Any], analysis: Mapping[str, Any] | None = None,
                         assessment: Mapping[str, Any] | None = None, *,
                         audience: str = "clinician", start: str | dt.date | None = None,
                         end: str | dt.date | None = None, knowledge: Any = None,
                         journal_patterns: Sequence[Mapping[str, Any]] | None = None,
                         ) -> JournalReport:
    """Gather one person's journal over a period into a :class:`JournalReport`.

    Parameters
    ----------
    document : the exchange document (``Journal.document(person, start=, end=)``); nights
        outside ``start``..``end`` are left out.
    analysis : ``sleeptwitch.journal.analyse(document)`` of the same nights; computed when None.
    assessment : ``Journal.latest_assessment(person)`` (or an ``Assessment.to_dict()``); its
        triage level, red flags and conditions are shown with their citations.
    audience : ``clinician``, ``patient`` or ``parent``: whose words the knowledge sentences use.
    start, end : the period (``YYYY-MM-DD``); default the first and last night of the document.
        Calendar nights of the period not in the journal are shown as "no record".
    knowledge : default the bundled knowledge base.
    journal_patterns : ``sleeptwitch.journal.journal_patterns`` output; default: computed from
        the period's nights. They are listed; when the assessment's intake holds the finding of
        any of them, the report says they were added to it (message ``journal_patterns_found``).

    Raises
    ------
    ValueError
        For an unknown audience, a bad date, an analysis of other nights, or a period with no
        nights (the message says how to log nights or widen the period).
    """
    check_option("audience", audience, AUDIENCES)
    start, end = _iso(start, "start"), _iso(end, "end")
    if start and end and start > end:
        raise ValueError(f"the period starts ({start}) after it ends ({end}); swap --from and "
                         "--to.")
    nights = [n for n in document.get("nights") or ()
              if (start is None or n["date"] >= start) and (end is None or n["date"] <= end)]
    if not nights:
        if start or end:
            raise ValueError(f"no nights between {start or 'the first night'} and "
                             f"{end or 'the last night'}; log nights with `sleeptwitch "
                             "journal night` or widen --from/--to.")
        raise ValueError("no nights in the journal; log nights with `sleeptwitch journal "
                         "night` or import a journal with `sleeptwitch journal import`.")
    doc = {**document, "nights": nights}
    if analysis is None:
        from ..journal import analyse

        analysis = analyse(doc)
    elif analysis.get("nights") != len(nights):
        raise ValueError(f"the analysis covers {analysis.get('nights')} nights but the period "
                         f"has {len(nights)}; pass analyse() of the same document.")
    if knowledge is None:
        from ..knowledge import load_knowledge

        knowledge = load_knowledge()
    k = knowledge
    dates = sorted(n["date"] for n in nights)
    start, end = start or dates[0], end or dates[-1]
    result = (assessment or {}).get("result", assessment) if assessment else None
    cite = _Citer(k, (result or {}).get("citations", ()))
    messages: dict[str, dict[str, Any]] = {}

    def say(key: str) -> dict[str, Any]:
        if key not in messages:
            messages[key] = {"key": key, "text": k.message(key, audience),
                             "refs": cite(k.messages[key]["references"])}
        return messages[key]

    per_night = tuple(analysis["per_night"])
    summary = _summary(per_night, analysis, start, end)
    from ..journal._analytics import MIN_NIGHTS

    if summary["nights_counted"] < MIN_NIGHTS:
        say("journal_keep_logging")
    factors = tuple({**f, "label": factor_label(f), "ci_text": rate_ratio_text(f)}
                    for f in analysis["triggers"]["factors"])
    associations = tuple(f for f in factors if f["verdict"] in VERDICTS[:2])[:MAX_ASSOCIATIONS]
    for verdict in VERDICTS[:2]:
        if any(f["verdict"] == verdict for f in associations):
            say(f"journal_{verdict}")
    if not associations:
        estimated = any(f["verdict"] == "no_clear_link" for f in factors)
        say("journal_no_clear_link" if estimated else "journal_not_enough_data")
    if journal_patterns is None:
        from ..journal import journal_patterns as find_patterns

        journal_patterns = find_patterns(doc)
    intake = {}
    if assessment:
        intake = assessment.get("intake") or (result or {}).get("intake") or {}
    patterns = tuple({"label": str(pat.get("what") or pat["field"]),
                      "nights": len(pat.get("nights") or ()),
                      "in_assessment": _in_intake(intake, pat["field"], pat.get("value"))}
                     for pat in journal_patterns)
    view = None
    if assessment:
        # shown above the assessment ("added to the assessment below"), so cited first
        found = (say("journal_patterns_found") if any(pat["in_assessment"] for pat in patterns)
                 else None)
        view = {**_assessment_view(assessment, audience, k, say, cite), "patterns_found": found}
    for verdict in VERDICTS:
        if any(f["verdict"] == verdict for f in factors):
            say(f"journal_{verdict}")
    if factors:
        say("journal_method")
    say("not_reviewed_banner")
    person = document.get("person") or {}
    return JournalReport(
        audience=audience,
        person={"name": person.get("name"), "birth_date": person.get("birth_date"),
                "age_years": _age_years(person.get("birth_date"), end)},
        start=start, end=end, summary=summary, per_night=per_night,
        trend=dict(analysis["trend"]), timing=dict(analysis["timing"]), factors=factors,
        associations=associations, patterns=patterns, messages=messages, assessment=view,
        citations=cite.table(), knowledge_version=str(k.version))


# ------------------------------------------------------------------------------------- formatting
def _fmt(value: float | None, spec: str = ".0f", suffix: str = "") -> str:
    return "–" if value is None else f"{value:{spec}}{suffix}"


def _facts(report: JournalReport) -> list[tuple[str, str]]:
    """The one-minute summary as (label, value) pairs; the same in HTML and PDF."""
    s, t = report.summary, report.trend
    med = s["episodes_median"]
    episodes = ("–" if med is None else
                f"median {med:g} (range {s['episodes_min']}–{s['episodes_max']})")
    woke = ("–" if s["nights_woke_pct"] is None else
            f"{s['nights_woke']} of {s['nights_counted']} nights ({s['nights_woke_pct']:.0f}%)")
    trend = TREND_LABELS.get(t.get("verdict"), str(t.get("verdict")))
    if t.get("slope_per_week") is not None:
        trend += (f" (rate ratio per week {t['slope_per_week']:.3f}, 95% CI "
                  f"{_fmt(t.get('ci_low'), '.3f')}–{_fmt(t.get('ci_high'), '.3f')})")
    return [
        ("Nights logged", f"{s['nights_logged']} of {s['nights_in_period']} "
                          f"({s['nights_counted']} with an episode count)"),
        ("Episodes per night", episodes),
        ("Episodes in total", str(s["episodes_total"])),
        ("Nights woken by an episode", woke),
        ("Sleep efficiency", _fmt(s["mean_efficiency_pct"], ".0f", "% (mean)")),
        ("Sleep quality", _fmt(s["mean_quality"], ".1f", " of 5 (mean)")),
        ("Time in bed / asleep", f"{_fmt(s['mean_time_in_bed_h'], '.1f', ' h')} / "
                                 f"{_fmt(s['mean_total_sleep_h'], '.1f', ' h')} (mean)"),
        ("Time to fall asleep", _fmt(s["mean_latency_min"], ".0f", " min (mean)")),
        ("Trend in episodes", trend),
    ] + ([("Patterns in the journal", _patterns_text(report))] if report.patterns else [])


def _patterns_text(report: JournalReport) -> str:
    return "; ".join(f"{pat['label']} ({pat['nights']} nights)"
                     + ("" if pat["in_assessment"] or report.assessment is None
                        else ", not in the assessment")
                     for pat in report.patterns)


def _timing_text(report: JournalReport) -> str:
    total = sum(report.timing.values())
    if not total:
        return "–"
    return "  ·  ".join(f"{TIMING_LABELS[k]} {100 * report.timing.get(k, 0) / total:.0f}%"
                        for k in TIMING_LABELS if report.timing.get(k))


def _q_text(q: float | None) -> str:
    if q is None:
        return "–"
    return "<0.001" if q < 0.001 else f"{q:.3f}"


def _refs(numbers: Sequence[int]) -> str:
    return "".join(f"[{n}]" for n in numbers)


def _period(report: JournalReport) -> str:
    return f"{report.start} to {report.end}"


# ----------------------------------------------------------------------------------------- charts
def journal_figures(report: JournalReport) -> dict[str, Any]:
    """The report's charts as matplotlib Figures, by name (``CHARTS`` order)."""
    return {
        "episodes_per_night": plot_episodes_per_night(report.per_night, start=report.start,
                                                      end=report.end),
        "timing": plot_episode_timing(report.timing),
        "triggers": plot_trigger_forest(report.factors),
        "sleep": plot_sleep_over_time(report.per_night, start=report.start, end=report.end),
    }


def _render(fig: Any, fmt: str) -> bytes:
    import matplotlib

    buffer = io.BytesIO()
    # fixed salt: the same report gives the same SVG ids
    with matplotlib.rc_context({"svg.hashsalt": "sleeptwitch", "svg.fonttype": "path"}):
        fig.savefig(buffer, format=fmt, dpi=CHART_DPI,
                    metadata={"Date": None} if fmt == "svg" else {"Software": None})
    return buffer.getvalue()


def _inline_svg(svg: str, prefix: str, label: str) -> str:
    """An SVG file as an element to put in HTML: no prolog, ids made unique, scalable."""
    svg = svg[svg.index("<svg"):]
    ids = set(re.findall(r'\bid="([^"]+)"', svg))
    svg = re.sub(r'\bid="([^"]+)"', lambda m: f'id="{prefix}-{m.group(1)}"', svg)
    svg = re.sub(r'url\(#([^)]+)\)', lambda m: (f"url(#{prefix}-{m.group(1)})"
                                               if m.group(1) in ids else m.group(0)), svg)
    svg = re.sub(r'href="#([^"]+)"', lambda m: (f'href="#{prefix}-{m.group(1)}"'
                                               if m.group(1) in ids else m.group(0)), svg)
    head_end = svg.index(">")
    head = re.sub(r'\s(width|height)="[^"]*"', "", svg[:head_end])
    label = label.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
    return f'{head} role="img" aria-label="{label}" class="chart-svg"{svg[head_end:]}'


# ------------------------------------------------------------------------------------------ files
def _atomic_write(path: Path, data: bytes) -> None:
    atomic_write(path, data)  # a report is an ordinary document, not private


def write_journal_report(report: JournalReport, out: str | Path, *,
                         charts_dir: str | Path | None = None) -> Path:
    """Write ``report`` to ``out`` (``.html`` or ``.pdf``, by its suffix) and, when
    ``charts_dir`` is given, every chart there as ``<name>.png`` (150 dpi) and ``<name>.svg``.

    Each file is written to a temporary file first and moved into place when complete.
    Returns ``out`` as a Path.
    """
    out = Path(out)
    suffix = out.suffix.lower()
    if suffix not in REPORT_SUFFIXES:
        raise ValueError(f"cannot write a report as {out.name!r}: the file name must end in "
                         f"{' or '.join(REPORT_SUFFIXES)} (e.g. --out report.pdf).")
    figures = journal_figures(report)
    svgs: dict[str, bytes] = {}
    pngs: dict[str, bytes] = {}
    for name, fig in figures.items():
        if suffix == ".html" or charts_dir is not None:
            svgs[name] = _render(fig, "svg")
        if suffix == ".pdf" or charts_dir is not None:
            pngs[name] = _render(fig, "png")
    if suffix == ".html":
        data = _html(report, {n: s.decode("utf-8") for n, s in svgs.items()}).encode("utf-8")
    else:
        data = _pdf(report, pngs)
    if charts_dir is not None:
        charts_dir = Path(charts_dir)
        for name in figures:
            _atomic_write(charts_dir / f"{name}.png", pngs[name])
            _atomic_write(charts_dir / f"{name}.svg", svgs[name])
    _atomic_write(out, data)
    return out


# ------------------------------------------------------------------------------------------- HTML
def _html(report: JournalReport, svgs: Mapping[str, str]) -> str:
    from jinja2 import Environment, FileSystemLoader, select_autoescape
    from markupsafe import Markup

    env = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"),
                      autoescape=select_autoescape(["html", "j2"]), trim_blocks=True,
                      lstrip_blocks=True, keep_trailing_newline=True)
    env.filters["refs"] = _refs
    env.filters["q"] = _q_text
    charts = [{"name": name, "title": title,
               "svg": Markup(_inline_svg(svgs[name], f"c{i}", title))}
              for i, (name, title) in enumerate(CHARTS)]
    return env.get_template("journal_report.html.j2").render(
        r=report, facts=_facts(report), timing_text=_timing_text(report), charts=charts,
        period=_period(report), verdict_labels={v: v.replace("_", " ") for v in VERDICTS},
        verdict_colors={"goes_with_more": "#b03a2e", "goes_with_fewer": "#1f5f99",
                        "no_clear_link": "#555555", "not_enough_data": "#777777"})


# -------------------------------------------------------------------------------------------- PDF
_FONTS: dict[str, str] = {}


def _fonts() -> dict[str, str]:
    """DejaVu Sans (shipped with matplotlib) so that any name and ``–``/``≥`` print."""
    if not _FONTS:
        import matplotlib
        from reportlab.lib.fonts import addMapping
        from reportlab.pdfbase import pdfmetrics
        from reportlab.pdfbase.ttfonts import TTFont

        ttf = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
        for name, file in (("STSans", "DejaVuSans.ttf"), ("STSans-Bold", "DejaVuSans-Bold.ttf"),
                           ("STSans-Oblique", "DejaVuSans-Oblique.ttf")):
            pdfmetrics.registerFont(TTFont(name, str(ttf / file)))
        addMapping("STSans", 0, 0, "STSans")
        addMapping("STSans", 1, 0, "STSans-Bold")
        addMapping("STSans", 0, 1, "STSans-Oblique")
        addMapping("STSans", 1, 1, "STSans-Bold")
        _FONTS.update(regular="STSans", bold="STSans-Bold", italic="STSans-Oblique")
    return _FONTS


def _pdf(report: JournalReport, pngs: Mapping[str, bytes]) -> bytes:
    from xml.sax.saxutils import escape

    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.lib.utils import ImageReader
    from reportlab.platypus import (
        Image,
        KeepTogether,
        Paragraph,
        SimpleDocTemplate,
        Spacer,
        Table,
        TableStyle,
    )

    fonts = _fonts()
    base = ParagraphStyle("base", fontName=fonts["regular"], fontSize=9, leading=11.5)
    small = ParagraphStyle("small", parent=base, fontSize=7.8, leading=9.6)
    h1 = ParagraphStyle("h1", parent=base, fontName=fonts["bold"], fontSize=16, leading=19)
    h2 = ParagraphStyle("h2", parent=base, fontName=fonts["bold"], fontSize=11, leading=14,
                        spaceBefore=7, spaceAfter=3, textColor=colors.HexColor("#1f3b57"))
    cell = ParagraphStyle("cell", parent=base, fontSize=8.6, leading=10.6)
    label = ParagraphStyle("label", parent=cell, textColor=colors.HexColor("#444444"))
    width = A4[0] - 28 * mm

    def p(text: str, style: ParagraphStyle = base) -> Paragraph:
        return Paragraph(text, style)

    def msg(entry: Mapping[str, Any], style: ParagraphStyle = base) -> Paragraph:
        return p(f"{escape(entry['text'])} <font size=7>{_refs(entry['refs'])}</font>", style)

    story: list[Any] = []
    person = report.person
    who = f"<b>{escape(person['name'] or 'Unnamed')}</b>"
    if person["birth_date"]:
        who += f" · born {person['birth_date']}"
        if person["age_years"] is not None:
            who += f" ({person['age_years']} years)"
    story += [p("Sleep journal report: twitching during sleep", h1),
              p(f"{who} · nights of {_period(report)} · "
                f"{report.summary['nights_logged']} nights logged · for: {report.audience}"),
              Spacer(1, 2 * mm), p("At a glance", h2)]
    facts = _facts(report) + [("When episodes happened", _timing_text(report))]
    rows = [[p(escape(a), label), p(escape(b), cell)] for a, b in facts]
    table = Table(rows, colWidths=[48 * mm, width - 48 * mm])
    table.setStyle(TableStyle([
        ("VALIGN", (0, 0), (-1, -1), "TOP"), ("TOPPADDING", (0, 0), (-1, -1), 1.3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 1.3),
        ("LINEBELOW", (0, 0), (-1, -2), 0.25, colors.HexColor("#dddddd"))]))
    story.append(table)
    if "journal_keep_logging" in report.messages:
        story += [Spacer(1, 1.5 * mm), msg(report.messages["journal_keep_logging"])]

    story.append(p("What goes with more or fewer episodes", h2))
    if report.associations:
        head = ["Factor", "Nights with / without", "Rate ratio (95% CI)", "q", "Verdict"]
        rows = [[p(f"<b>{h}</b>", cell) for h in head]]
        for f in report.associations:
            rows.append([p(escape(f["label"]), cell), p(f"{f['n_with']} / {f['n_without']}",
                                                         cell),
                         p(escape(f["ci_text"]), cell), p(_q_text(f.get("q")), cell),
                         p(escape(f["verdict"].replace("_", " ")), cell)])
        table = Table(rows, colWidths=[50 * mm, 34 * mm, 40 * mm, 18 * mm, width - 142 * mm],
                      repeatRows=1)
        table.setStyle(TableStyle([
            ("LINEBELOW", (0, 0), (-1, 0), 0.5, colors.black),
            ("TOPPADDING", (0, 0), (-1, -1), 1.2), ("BOTTOMPADDING", (0, 0), (-1, -1), 1.2)]))
        story.append(table)
        for verdict in VERDICTS[:2]:
            if any(f["verdict"] == verdict for f in report.associations):
                story.append(msg(report.messages[f"journal_{verdict}"], small))
    else:
        key = ("journal_no_clear_link" if "journal_no_clear_link" in report.messages
               and any(f["verdict"] == "no_clear_link" for f in report.factors)
               else "journal_not_enough_data")
        story.append(msg(report.messages[key]))

    story.append(p("Latest assessment", h2))
    a = report.assessment
    if a is None:
        story.append(p("none saved", label))
    else:
        color = colors.HexColor(a["level_color"])
        level = Table([[p(f"<font color='white'><b>{escape(a['level_label'])}</b></font>",
                          cell), msg(a["level"], cell)]],
                      colWidths=[38 * mm, width - 38 * mm])
        level.setStyle(TableStyle([
            ("BACKGROUND", (0, 0), (0, 0), color), ("BOX", (0, 0), (-1, -1), 1, color),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE")]))
        parts: list[Any] = [
            p(f"saved {escape(str(a['created_at'] or '–'))} · knowledge "
              f"{escape(str(a['knowledge_version'] or '–'))} · worded for "
              f"{escape(str(a['audience'] or '–'))}", small)]
        if a["patterns_found"]:
            parts.append(msg(a["patterns_found"], small))
        parts += [Spacer(1, 1 * mm), level]
        if a["provisional"]:
            parts.append(msg(a["provisional"], small))
        parts.append(Spacer(1, 1 * mm))
        if a["red_flags"]:
            parts.append(p("<b>Red flags</b>", cell))
            parts += [p(f"<font color='#b71c1c'>■</font> <b>{escape(rf['name'])}</b>: "
                        f"{escape(rf['text'])} <font size=7>{_refs(rf['refs'])}</font>", cell)
                      for rf in a["red_flags"]]
        else:
            parts.append(p("<b>Red flags:</b> none found", cell))
        if a["conditions"]:
            parts.append(p("<b>Conditions considered:</b> " + "; ".join(
                f"{escape(c['name'])} ({escape(c['likelihood'])}) "
                f"<font size=7>{_refs(c['refs'])}</font>" for c in a["conditions"]), cell))
        if a["watch_for"]:
            parts.append(p("<b>Warning signs to watch for:</b> " + "; ".join(
                f"{escape(w['name'])} <font size=7>{_refs(w['refs'])}</font>"
                for w in a["watch_for"]), cell))
        if a["questions"]:
            parts.append(p("<b>Open questions</b>", cell))
            parts += [p(f"? {escape(q['text'])} <font size=7>{_refs(q['refs'])}</font>", small)
                      for q in a["questions"]]
        story.append(KeepTogether(parts))

    def chart(name: str) -> Image:
        w, h = ImageReader(io.BytesIO(pngs[name])).getSize()
        return Image(io.BytesIO(pngs[name]), width=width, height=width * h / w)

    # The episodes chart closes page 1 when it fits there; the charts then flow, whole.
    story += [KeepTogether([p("Charts", h2), chart("episodes_per_night")]), Spacer(1, 3 * mm),
              chart("timing"), Spacer(1, 3 * mm), chart("sleep"), Spacer(1, 3 * mm),
              chart("triggers")]
    for verdict in report.verdicts_present:
        entry = report.messages[f"journal_{verdict}"]
        story.append(p(f"<b>{verdict.replace('_', ' ')}:</b> {escape(entry['text'])} "
                       f"<font size=7>{_refs(entry['refs'])}</font>", small))
    if "journal_method" in report.messages:
        story += [Spacer(1, 1.5 * mm), p("<b>Method</b>", small),
                  msg(report.messages["journal_method"], small)]

    story += [Spacer(1, 4 * mm), p("Sources", h2)]
    story += [p(f"[{c['number']}] <b>{escape(c['title'])}</b>. {escape(c['source'])} "
                f"<i>({escape(c['status'])})</i>", small) for c in report.citations]

    banner = report.messages["not_reviewed_banner"]
    footer = (f"{escape(banner['text'])} {_refs(banner['refs'])}")
    title_line = (f"sleeptwitch journal report · {person['name'] or ''} · {_period(report)} · "
                  f"knowledge {report.knowledge_version}")

    def on_page(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont(fonts["regular"], 6.8)
        canvas.setFillColor(colors.HexColor("#555555"))
        canvas.drawString(14 * mm, 10 * mm, title_line)
        canvas.drawRightString(A4[0] - 14 * mm, 10 * mm, f"page {doc.page}")
        canvas.restoreState()
        foot = Paragraph(footer, ParagraphStyle("foot", parent=small, fontSize=6.8, leading=8,
                                                textColor=colors.HexColor("#555555")))
        _, h = foot.wrap(width, 20 * mm)
        foot.drawOn(canvas, 14 * mm, 12.5 * mm)
        del h

    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer, pagesize=A4, leftMargin=14 * mm, rightMargin=14 * mm, topMargin=12 * mm,
        bottomMargin=22 * mm, title=f"Sleep journal report: {person['name'] or ''}",
        author="sleeptwitch", subject=f"Sleep journal {_period(report)}", invariant=True)
    doc.build(story, onFirstPage=on_page, onLaterPages=on_page)
    return buffer.getvalue()
