"""Compiled cut of a batch of (receiver, cell) pairs to its mobile evidence.

Owned by :func:`coverage_gis.mobile.mobile_evidence` (the rules are described there).
numpy's form gathered each pair's cell rules and compressed each output in a pass of
its own, a dozen passes over millions of pairs; this kernel reads each pair once. It
selects and copies (receivers, levels, kind keys) and does no arithmetic on levels, so
its evidence is numpy's, value for value and in the same order.
"""

from __future__ import annotations

import numpy as np

from coverage_gis.terrain._jit import jit


@jit
def evidence_arrays(
    receiver: np.ndarray,
    cell: np.ndarray,
    signal_dbm: np.ndarray,
    served: np.ndarray,
    blocked: np.ndarray,
    cell_kind: np.ndarray,
    on_air: np.ndarray,
    live_broadband: np.ndarray,
    planned_broadband: np.ndarray,
    n_kinds: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(live_key, broadband_receiver, broadband_signal_dbm, planned_receiver,
    shadowed_receiver)`` of the pairs, as :class:`~coverage_gis.mobile.MobileEvidence`
    holds them; the cells' rules (``cell_kind`` … ``planned_broadband``) are read at ``cell``."""
    n = receiver.size
    live_key = np.empty(n, dtype=np.int64)
    bb_receiver = np.empty(n, dtype=np.int64)
    bb_signal = np.empty(n, dtype=np.float64)
    planned = np.empty(n, dtype=np.int64)
    shadowed = np.empty(n, dtype=np.int64)
    n_live = n_bb = n_planned = n_shadowed = 0
    for i in range(n):
        c = cell[i]
        r = receiver[i]
        if served[i]:
            if on_air[c]:
                live_key[n_live] = r * n_kinds + cell_kind[c]
                n_live += 1
            if live_broadband[c]:
                bb_receiver[n_bb] = r
                bb_signal[n_bb] = signal_dbm[i]
                n_bb += 1
            if planned_broadband[c]:
                planned[n_planned] = r
                n_planned += 1
        if blocked[i] and live_broadband[c]:
            shadowed[n_shadowed] = r
            n_shadowed += 1
    # Copies: the buffers hold room for every pair, the evidence is kept until the end.
    return (
        live_key[:n_live].copy(),
        bb_receiver[:n_bb].copy(),
        bb_signal[:n_bb].copy(),
        planned[:n_planned].copy(),
        shadowed[:n_shadowed].copy(),
    )
