"""Figures and documents: the leg-movement figure, and the journal report for the doctor."""

from ._journal_figures import (
    plot_episode_timing,
    plot_episodes_per_night,
    plot_sleep_over_time,
    plot_trigger_forest,
)
from ._journal_report import JournalReport, build_journal_report, write_journal_report
from ._plm_figure import plot_leg_movements

__all__ = [
    "JournalReport", "build_journal_report", "plot_episode_timing", "plot_episodes_per_night",
    "plot_leg_movements", "plot_sleep_over_time", "plot_trigger_forest", "write_journal_report",
]
