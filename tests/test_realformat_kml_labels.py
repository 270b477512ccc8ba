"""Maps drawn by hand in Google Earth or My Maps: a pin's label that holds its code and its
name, features left with the app's name for an unnamed one, and folders that name a field
(a route folder per class)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from coverage_gis.errors import LayerValidationError
from coverage_gis.io import import_file
from coverage_gis.io.labelled_ids import ids_from_labels
from coverage_gis.layers import get_schema
from coverage_gis.workspace import Workspace


def _kml(placemarks: list[tuple[str, str]]) -> str:
    """A KML of Placemarks ``(label, geometry)`` in one Document."""
    body = "".join(f"<Placemark><name>{name}</name>{geometry}</Placemark>\n" for name, geometry in placemarks)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<kml xmlns="http://www.opengis.net/kml/2.2"><Document>'
        f"<name>Bản đồ</name>\n{body}</Document></kml>\n"
    )


def _pin(lon: float, lat: float) -> str:
    return f"<Point><coordinates>{lon},{lat},0</coordinates></Point>"


def _path(lon: float, lat: float) -> str:
    return f"<LineString><coordinates>{lon},{lat},0 {lon + 0.01},{lat + 0.01},0</coordinates></LineString>"


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    return Workspace.create(tmp_path / "ws", metric_crs="EPSG:32649")


@pytest.mark.parametrize(
    "labels",
    [
        ["BDH_HH01 - Hoài Hải 1", "BDH_HH02 – Hoài Hải 2", "BDH_TM03 - Tam Quan"],
        ["BDH_HH01: Hoài Hải 1", "BDH_HH02: Hoài Hải 2", "BDH_TM03: Tam Quan"],
        ["Hoài Hải 1 (BDH_HH01)", "Hoài Hải 2 (BDH_HH02)", "Tam Quan (BDH_TM03)"],
    ],
)
def test_a_pins_label_with_its_code_and_name_gives_both(
    ws: Workspace, tmp_path: Path, labels: list[str]
) -> None:
    """Each pin labelled ``BDH_HH01 - Hoài Hải 1``, no other column. Fails if the whole label is
    the site's id: a cell list naming ``BDH_HH01`` then names no site."""
    path = tmp_path / "tram.kml"
    path.write_text(_kml([(label, _pin(109.05 + k / 100, 14.45)) for k, label in enumerate(labels)]), "utf-8")

    result = import_file(ws, "sites", path)

    sites = ws.read_layer("sites")
    assert sites["site_id"].tolist() == ["BDH_HH01", "BDH_HH02", "BDH_TM03"]
    assert sites["name"].tolist() == ["Hoài Hải 1", "Hoài Hải 2", "Tam Quan"]
    assert any("each label holds a code and a name" in note and "(3 rows)" in note for note in result.notes)


@pytest.mark.parametrize(
    "labels",
    [
        # Names alone; a number in a list is no code; a code each label does not hold.
        ["Thôn 1 - Hoài Hải", "Thôn 2 - Hoài Hải"],
        ["Trạm X (2)", "Trạm Y (3)"],
        ["BDH01 - Hoài Hải", "Trạm Tam Quan"],
        # Two labels of one code: the labels stay whole.
        ["BDH01 - Hoài Hải", "BDH01 - Tam Quan"],
    ],
)
def test_labels_that_are_not_all_a_code_and_a_name_stay_whole(labels: list[str]) -> None:
    """Fails if a name is cut where not every label is a distinct code and a name."""
    frame = pd.DataFrame({"site_id": labels, "name": labels})
    notes: list[str] = []

    out = ids_from_labels(frame, get_schema("sites"), notes=notes)

    assert out["site_id"].tolist() == labels
    assert notes == []


def test_a_list_with_an_id_column_of_its_own_is_read_as_it_is() -> None:
    """An id column that differs from the names is the file's own: never split."""
    frame = pd.DataFrame({"site_id": ["S1", "S2"], "name": ["BDH01 - Hoài Hải", "BDH02 - Tam Quan"]})
    notes: list[str] = []

    assert ids_from_labels(frame, get_schema("sites"), notes=notes).equals(frame)
    assert notes == []


def test_routes_left_with_google_earths_name_for_an_unnamed_path_stay_apart(
    ws: Workspace, tmp_path: Path
) -> None:
    """Two routes left as "Đường dẫn không có tiêu đề" and one named. Fails if the two unnamed
    routes are joined as one feature (one id), as a route drawn in pieces is."""
    untitled = "Đường dẫn không có tiêu đề"
    placemarks = [
        (untitled, _path(109.05, 14.45)),
        (untitled, _path(109.10, 14.40)),
        ("HN-01", _path(109.2, 14.3)),
    ]
    path = tmp_path / "cap_quang.kml"
    path.write_text(_kml(placemarks), "utf-8")

    result = import_file(ws, "fiber_routes", path, values={"operator": "VNPT", "class": "access"})

    routes = ws.read_layer("fiber_routes")
    assert routes["route_id"].tolist() == [f"{untitled} #1", f"{untitled} #2", "HN-01"]
    assert (routes.geometry.geom_type == "MultiLineString").all()
    assert [len(g.geoms) for g in routes.geometry] == [1, 1, 1]
    assert any(
        "name Google Earth gives an unnamed feature" in n and f"{untitled!r} (2)" in n for n in result.notes
    )


def test_untitled_placemarks_in_english_are_numbered_too(ws: Workspace, tmp_path: Path) -> None:
    """Google Earth in English: "Untitled Placemark". Fails if two such pins are refused as one id twice."""
    path = tmp_path / "nodes.kml"
    path.write_text(
        _kml([("Untitled Placemark", _pin(109.05, 14.45)), ("Untitled Placemark", _pin(109.06, 14.46))])
    )

    import_file(ws, "fiber_nodes", path, values={"operator": "VNPT", "kind": "olt"})

    assert ws.read_layer("fiber_nodes")["node_id"].tolist() == [
        "Untitled Placemark #1",
        "Untitled Placemark #2",
    ]


def _folders(folders: dict[str, list[tuple[str, str]]], extended: str = "") -> str:
    """A KML of Folders ``{name: [(label, geometry), ...]}``; ``extended``: each Placemark's ExtendedData."""
    body = "".join(
        f"<Folder><name>{folder}</name>"
        + "".join(f"<Placemark><name>{n}</name>{extended}{g}</Placemark>" for n, g in placemarks)
        + "</Folder>\n"
        for folder, placemarks in folders.items()
    )
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<kml xmlns="http://www.opengis.net/kml/2.2"><Document>{body}</Document></kml>\n'


def test_routes_filed_in_a_folder_per_class_take_its_class(ws: Workspace, tmp_path: Path) -> None:
    """A route map sorted into folders ``Cáp trục`` and ``Cáp nhánh``, no class column. Fails if
    the import is refused for a missing class (or every route takes one class)."""
    path = tmp_path / "cap.kml"
    path.write_text(
        _folders(
            {
                "Cáp trục": [("T-01", _path(109.05, 14.45)), ("T-02", _path(109.1, 14.4))],
                "Cáp nhánh": [("N-01", _path(109.2, 14.3))],
            }
        ),
        "utf-8",
    )

    result = import_file(ws, "fiber_routes", path, values={"operator": "VNPT"})

    routes = ws.read_layer("fiber_routes").set_index("route_id")
    assert routes["class"].to_dict() == {"T-01": "backbone", "T-02": "backbone", "N-01": "distribution"}
    assert (
        "fiber_routes: no class column; class read from each Placemark's folder: "
        "'Cáp trục' (2 rows), 'Cáp nhánh' (1 row)" in result.notes
    )


def test_folders_a_class_column_or_names_that_are_no_class_are_not_read(
    ws: Workspace, tmp_path: Path
) -> None:
    """A class column wins over the folders; folders named by commune give no class. Fails if
    the folder replaces the file's own class, or the folder column is left as an ignored column."""
    data = '<ExtendedData><Data name="Cấp tuyến"><value>access</value></Data></ExtendedData>'
    path = tmp_path / "cap.kml"
    path.write_text(
        _folders(
            {"Cáp trục": [("T-01", _path(109.05, 14.45))], "Cáp nhánh": [("N-01", _path(109.2, 14.3))]}, data
        ),
        "utf-8",
    )
    result = import_file(ws, "fiber_routes", path, values={"operator": "VNPT"})
    assert ws.read_layer("fiber_routes")["class"].tolist() == ["access", "access"]
    assert not any("folder" in n and "class" in n for n in result.notes)
    assert not any("KML folder" in n for n in result.notes)

    path.write_text(
        _folders(
            {"Xã Hoài Hải": [("T-01", _path(109.05, 14.45))], "Xã Tam Quan": [("N-01", _path(109.2, 14.3))]}
        ),
        "utf-8",
    )
    with pytest.raises(LayerValidationError, match="missing required field 'class'"):
        import_file(ws, "fiber_routes", path, values={"operator": "VNPT"})
