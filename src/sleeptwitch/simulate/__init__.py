"""Simulated leg EMG with known truth, for tests and benchmarks of leg-movement scoring.

Following NeuroKit2's ``*_simulate`` functions: a fixed seed gives a fixed night, and the night
carries the truth every test checks against.

- :func:`simulate_night`: two tibialis anterior EMG channels over a whole night, with a
  hypnogram, PLM trains, isolated and bilateral LMs, fragments, respiratory events and arousals.
- :func:`simulate_noise_only`: the same background without any burst, for false-positive checks.
- :func:`write_simulated_edf`: the night as an EDF+ file, optionally with PSG-like channels and
  an EEG that follows the hypnogram (``eeg=True``), for automatic sleep staging.
- :func:`simulate_eeg`: that EEG on its own, from any hypnogram.
"""

from ._edf import write_simulated_edf
from ._eeg import simulate_eeg
from ._night import SimulatedNight, simulate_night, simulate_noise_only

__all__ = ["SimulatedNight", "simulate_eeg", "simulate_night", "simulate_noise_only",
           "write_simulated_edf"]
