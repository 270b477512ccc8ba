"""What the speed tables share (``docs/architecture.md``, measurements): the label of the
rows over every technology or operator, the status of a withheld statistic, and the order
of the unit rows (level, then code). The tables are :mod:`coverage_gis.speed.units` and
:mod:`coverage_gis.speed.villages`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from coverage_gis.admin import LEVELS

#: Label of the rows that aggregate every technology or operator.
ALL = "all"
#: Status of a statistic with too few samples.
INSUFFICIENT = "insufficient_data"


def _sorted(frame: pd.DataFrame, extra: list[str]) -> pd.DataFrame:
    if frame.empty:
        return frame
    rank = frame["level"].map({lvl: i for i, lvl in enumerate(LEVELS)})
    order = np.lexsort(
        [frame[c].astype(str).to_numpy() for c in reversed(["code", *extra])] + [rank.to_numpy()]
    )
    # lexsort takes the last key as primary: level, then code, then the extra keys.
    return frame.iloc[order].reset_index(drop=True)
