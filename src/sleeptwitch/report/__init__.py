"""Figures and documents."""

from ._plm_figure import plot_leg_movements

__all__ = ["plot_leg_movements"]
