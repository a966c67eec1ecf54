"""A realistic adult hypnogram: sleep-onset wake, ~90-min NREM-REM cycles, brief awakenings.

Textbook architecture (no figure for it in ``sources/``): cycles of 80-110 min, each N1 -> N2 ->
N3 -> N2 -> R; N3 takes about a third of the first cycle and fades away by the fourth, R grows from
about an eighth of the first cycle to 45% of the late ones. Wake is a sleep-onset latency plus
brief awakenings (1-6 epochs) that fall mostly out of R and seldom out of N3, each followed by an
N1 epoch.
"""

from __future__ import annotations

import numpy as np

__all__ = ["EPOCH_S", "STAGES", "simulate_hypnogram"]

EPOCH_S = 30.0
STAGES = ("W", "N1", "N2", "N3", "R")


def _sleep_cycles(n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` epochs of uninterrupted sleep built from NREM-REM cycles."""
    parts: list[np.ndarray] = []
    total, k = 0, 0
    while total < n:  # one pass per ~90-min cycle
        length = int(rng.uniform(160, 220))  # 80-110 min in 30-s epochs
        n1 = int(rng.integers(3, 8))
        n3 = int(round(length * max(0.0, 0.35 - 0.12 * k + rng.uniform(-0.04, 0.04))))
        rem = int(round(length * min(0.45, 0.12 + 0.09 * k + rng.uniform(-0.03, 0.03))))
        n2 = max(length - n1 - n3 - rem, 4)
        n2a = int(round(n2 * 0.6))
        stages = np.array(["N1", "N2", "N3", "N2", "R"])
        parts.append(np.repeat(stages, [n1, n2a, n3, n2 - n2a, rem]))
        total += parts[-1].size
        k += 1
    return np.concatenate(parts)[:n] if parts else np.array([], dtype="<U2")


def simulate_hypnogram(n_epochs: int, wake_fraction: float,
                       rng: np.random.Generator) -> np.ndarray:
    """One stage per 30-s epoch (``"W"``, ``"N1"``, ``"N2"``, ``"N3"``, ``"R"``).

    Exactly ``round(wake_fraction * n_epochs)`` epochs are wake: 25-45% of them as the sleep-onset
    latency at the start, the rest as brief awakenings during the night.
    """
    n_wake = int(round(wake_fraction * n_epochs))
    sleep = _sleep_cycles(n_epochs - n_wake, rng)
    if n_wake == 0 or sleep.size == 0:
        return np.concatenate([np.full(n_wake, "W"), sleep]).astype("<U2")

    latency = max(1, int(round(n_wake * rng.uniform(0.25, 0.45))))
    rest = n_wake - latency
    sizes = rng.integers(1, 7, size=rest + 1)  # awakenings of 30 s to 3 min
    cut = int(np.searchsorted(np.cumsum(sizes), rest))
    sizes = sizes[: cut + 1]
    if sizes.size:
        sizes[-1] = rest - sizes[:-1].sum()
        sizes = sizes[sizes > 0]
    # Where an awakening interrupts sleep: mostly at or in R, seldom from N3.
    weight = np.select([sleep == "R", sleep == "N3"], [3.0, 0.2], 1.0)
    weight[0] = 0.0
    n_gaps = min(sizes.size, int(np.count_nonzero(weight)))
    pos = np.sort(rng.choice(sleep.size, size=n_gaps, replace=False, p=weight / weight.sum()))
    sizes = np.concatenate([sizes[: n_gaps - 1], [sizes[n_gaps - 1:].sum()]]) if n_gaps else sizes
    hypno = np.insert(sleep, np.repeat(pos, sizes[:n_gaps]), "W")
    hypno = np.concatenate([np.full(latency + (0 if n_gaps else rest), "W"), hypno])
    # Sleep resumes through N1 after every awakening.
    after_wake = np.flatnonzero((hypno[:-1] == "W") & (hypno[1:] != "W")) + 1
    hypno[after_wake] = "N1"
    return hypno.astype("<U2")
