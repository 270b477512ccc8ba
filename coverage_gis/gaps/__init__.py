"""Gap lists: uncovered villages (mobile, FTTH) and priority places without 5G.

Owns the ranking (population affected first), the recommendation for each gap and its
cost estimate from ``layers/costs.yaml``:

* **mobile** — the causes and the power need are separate fields (``reason``, the main
  cause; ``reasons``, every cause; ``power_need``) and both shape the recommendation
  and the cost. Gap villages that a planned site would serve point at that site; those
  a 4G cell on an on-air mast would serve (a 2G mast to upgrade, another operator's mast
  to share; the mast serving the most people first) point at that mast, at the cost of
  a co-location; the others are grouped greedily (the most populous gap village anchors a group of those
  within ``cluster_radius_m``, with a candidate site at the group's population-weighted
  centre), and each group keeps only the villages the candidate serves *under the
  workspace's own coverage model* (a rural 4G reference cell, :data:`PROPOSED_4G_BAND_MHZ`),
  the rest getting candidates of their own. One candidate site is costed once: on the
  highest-ranked village it serves (``cost_vnd``; ``candidate_cost_vnd`` repeats the
  candidate's cost on every row, ``candidate_id`` and ``candidate_villages`` name it).
* **FTTH** — the extension taps a named asset (``tap_*``): a fiber node of any kind,
  or an access or distribution route anywhere along it; a backbone cable only where a
  node stands on it (a splice point); on air, or planned (``tap_status``): an extension
  from planned fiber starts once it is built. It is the asset nearest along roads
  when ``roads.osm`` exists, else the nearest in a straight line; ``distance_m`` is the
  straight line to it and ``road_length_m`` the length along roads. The OLT of the
  tapped operator nearest the village (``olt_*``) must lie within the PON reach
  (:data:`PON_REACH_M`) of it, else the recommendation adds an OLT.
* **5G** — "add a 5G cell on site X" only when a 5G sector on X turned toward the
  place (the operator's band in this workspace, its reference EIRP) serves it under the
  workspace's own model; otherwise a new 5G small cell or site.
"""

from coverage_gis.gaps._rows import GAP_COLUMNS, GAP_KINDS, GAP_SUMMARY_COLUMNS
from coverage_gis.gaps.five_g import DEFAULT_5G_BAND_MHZ, FIVE_G_SITES_TRIED, OnAirSites, five_g_gaps
from coverage_gis.gaps.ftth import PON_REACH_M, OltReach, Tap, fiber_taps, ftth_gaps
from coverage_gis.gaps.mobile import DEFAULT_CLUSTER_RADIUS_M, PROPOSED_4G_BAND_MHZ, mobile_gaps

__all__ = [
    "DEFAULT_5G_BAND_MHZ",
    "DEFAULT_CLUSTER_RADIUS_M",
    "FIVE_G_SITES_TRIED",
    "GAP_COLUMNS",
    "GAP_KINDS",
    "GAP_SUMMARY_COLUMNS",
    "PON_REACH_M",
    "PROPOSED_4G_BAND_MHZ",
    "OltReach",
    "OnAirSites",
    "Tap",
    "fiber_taps",
    "five_g_gaps",
    "ftth_gaps",
    "mobile_gaps",
]
