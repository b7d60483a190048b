"""The retry schedule: exponential backoff with jitter.

After failed attempt n (1-based) the next one waits ``base * 4**(n-1)``, give or take 25% so that
many deliveries failing together do not come back together. With the defaults (15 s, 8 attempts)
the waits are about 15 s, 1 min, 4 min, 16 min, 64 min, 4.3 h and 17 h: the last attempt comes
about 23 hours after the first.
"""

from __future__ import annotations

import random

FACTOR = 4.0
JITTER = 0.25


def retry_delay(failed_attempts: int, base_seconds: float, rng: random.Random | None = None) -> float:
    spread = (rng or random).uniform(1 - JITTER, 1 + JITTER)
    return base_seconds * FACTOR ** (failed_attempts - 1) * spread


def nominal_schedule(attempts: int, base_seconds: float) -> list[float]:
    """The waits before attempts 2..``attempts``, without jitter (for docs and the CLI)."""
    return [base_seconds * FACTOR ** (n - 1) for n in range(1, attempts)]
