"""Simulated leg EMG with known truth, for tests and benchmarks of leg-movement scoring.

Following NeuroKit2's ``*_simulate`` functions: a fixed seed gives a fixed night, and the night
carries the truth every test checks against.

- :func:`simulate_night`: two tibialis anterior EMG channels over a whole night, with a
  hypnogram, PLM trains, isolated and bilateral LMs, fragments, respiratory events and arousals.
- :func:`simulate_noise_only`: the same background without any burst, for false-positive checks.
- :func:`write_simulated_edf`: the night as an EDF+ file, optionally with PSG-like channels and
  an EEG that follows the hypnogram (``eeg=True``), for automatic sleep staging.
- :func:`simulate_eeg`: that EEG on its own, from any hypnogram.
- :func:`simulate_scenario`: a night of one of the named real-world :data:`SCENARIOS`
  (``"clean"``, ``"wideband"``, ``"ecg_leak"``, ``"arousal_artefacts"``, ``"pops"``,
  ``"fragments"``, ``"alma_hft"``, ``"sweat"``, ``"mains"``, ``"clipping"``, ``"mixed_rates"``,
  ``"coarse_resolution"``, ``"realistic"``, ``"realistic_mixed"``, ``"noise_5uv"``,
  ``"noise_10uv"``, ``"white_noise_30uv"``), with exact truth for every artefact
  (``night.artefacts``); :func:`unscorable_intervals` merges its unscorable stretches.
"""

from ._edf import write_simulated_edf
from ._eeg import simulate_eeg
from ._night import ARTEFACT_COLUMNS, SimulatedNight, simulate_night, simulate_noise_only
from ._scenarios import SCENARIOS, Scenario, simulate_scenario, unscorable_intervals

__all__ = ["ARTEFACT_COLUMNS", "SCENARIOS", "Scenario", "SimulatedNight", "simulate_eeg",
           "simulate_night", "simulate_noise_only", "simulate_scenario", "unscorable_intervals",
           "write_simulated_edf"]
