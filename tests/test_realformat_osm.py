"""OSM XML as a box-clipped extract writes it (JOSM, osmium or Osmosis without complete
ways): ways that cross the box keep references to nodes the file does not hold."""

from __future__ import annotations

from pathlib import Path

import pytest

from coverage_gis.errors import LayerValidationError
from coverage_gis.io import read_roads, validate_roads_file

_CLIPPED = """<?xml version='1.0' encoding='UTF-8'?>
<osm version="0.6" generator="JOSM">
  <bounds minlat="13.7" minlon="109.0" maxlat="13.8" maxlon="109.1"/>
  <node id="1" lat="13.70" lon="109.00" version="1"/>
  <node id="2" lat="13.71" lon="109.01" version="1"/>
  <node id="3" lat="13.72" lon="109.02" version="1"/>
  <node id="4" lat="13.73" lon="109.03" version="1"/>
  <way id="10" version="1"><nd ref="1"/><nd ref="2"/><nd ref="3"/><nd ref="99"/>
    <tag k="highway" v="primary"/><tag k="name" v="QL1A"/></way>
  <way id="11" version="1"><nd ref="98"/><nd ref="4"/><tag k="highway" v="track"/></way>
  <way id="12" version="1"><nd ref="3"/><nd ref="4"/><tag k="highway" v="residential"/></way>
  <relation id="5"><member type="way" ref="10" role=""/><member type="node" ref="97" role=""/>
    <tag k="type" v="route"/></relation>
</osm>
"""


def test_a_clipped_extract_keeps_the_roads_it_holds(tmp_path: Path) -> None:
    path = tmp_path / "roads.osm"
    path.write_text(_CLIPPED, encoding="utf-8")

    graph = read_roads(path)
    info = validate_roads_file(path)

    # Way 10 up to node 3 and way 12 on from it, one road from node 1 to node 4 (both
    # directions); way 11 has one node left and is no road.
    assert sorted(graph.nodes) == [1, 4]
    assert info.edges == graph.number_of_edges() == 2


def test_a_file_with_no_road_left_is_still_refused(tmp_path: Path) -> None:
    path = tmp_path / "roads.osm"
    path.write_text(
        _CLIPPED.replace('<nd ref="1"/><nd ref="2"/>', '<nd ref="91"/><nd ref="92"/>').replace(
            '<nd ref="3"/><nd ref="4"/>', '<nd ref="93"/><nd ref="4"/>'
        ),
        encoding="utf-8",
    )

    with pytest.raises(LayerValidationError, match=r"cannot build a road network|contains no roads"):
        read_roads(path)
