"""Seeded random streams of the demo generator.

Every concern (villages, sites, fiber, …) of every province draws from its own stream,
derived from ``(seed, province code, concern name)``. A province therefore comes out
the same whether it is generated alone or together with the others, and adding a
draw to one concern never shifts the numbers another concern sees.
"""

from __future__ import annotations

import zlib

import numpy as np


def stream(seed: int, province_code: str, concern: str) -> np.random.Generator:
    """The random generator of one concern of one province.

    Parameters
    ----------
    seed
        The user's seed (non-negative).
    province_code
        GSO province code, e.g. ``"52"``.
    concern
        A stable name such as ``"villages"``; hashed with CRC-32 (stable across
        Python runs, unlike ``hash``).
    """
    key = zlib.crc32(concern.encode("utf-8"))
    return np.random.default_rng(np.random.SeedSequence([seed, int(province_code), key]))
