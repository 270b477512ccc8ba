"""Print the ``radius_m`` block of ``layers/coverage_models.yaml`` as derived from the reference cells.

Each value is the boresight reach of a reference cell (:mod:`coverage_gis.models.reference`)
under the link budget of the settings file, rounded to 10 m. After changing the link
budget (margin, thresholds, formula, antenna), run this and paste its output into the
settings file; ``tests/test_models_reference.py`` fails until the two agree.

Run: ``.venv/bin/python bench/derive_radii.py [SETTINGS.yaml]`` (default: the shipped file).
"""

from __future__ import annotations

import sys
from pathlib import Path

from coverage_gis.models import load_model_settings
from coverage_gis.models.reference import REFERENCE_RADIOS, derived_radius_m
from coverage_gis.vocabulary import ENVIRONMENTS


def main() -> None:
    settings = load_model_settings(Path(sys.argv[1]) if len(sys.argv) > 1 else None)
    print("radius_m:")
    tech = None
    for radio in REFERENCE_RADIOS:
        if radio.tech != tech:
            tech = radio.tech
            print(f"  {tech}:")
        radii = ", ".join(f"{env}: {derived_radius_m(settings, radio, env):.0f}" for env in ENVIRONMENTS)
        print(f"    {radio.band_mhz:.0f}: {{{radii}}}  # EIRP {radio.eirp_dbm:g} dBm: {radio.basis}")


if __name__ == "__main__":
    main()
