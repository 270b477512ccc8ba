"""Terrain propagation: DEMs, profiles, diffraction (delta-Bullington), ITM, signal rasters.

One module per concern:

* :mod:`~coverage_gis.terrain.dem` — SRTM ``.hgt`` tiles and GeoTIFFs, windowed reads,
  sampling from metric coordinates;
* :mod:`~coverage_gis.terrain._bullington` — the terrain's excess diffraction loss
  over a smooth earth (ITU-R P.1812-6 delta-Bullington without its spherical-earth
  term), per profile and per radial;
* :mod:`~coverage_gis.terrain.itm` / ``_itm`` — Longley–Rice ITM 1.2.2
  point-to-point median loss;
* :mod:`~coverage_gis.terrain.engine` — batched, threaded profiles for many pairs and
  many sites, radial grids, the per-site cache (:mod:`~coverage_gis.terrain.cache`);
* :mod:`~coverage_gis.terrain.raster` — best-server signal rasters and GeoTIFF output.

The coverage model built on them is :class:`coverage_gis.models.terrain.TerrainModel`.
Kernels are compiled with numba on first use (cached on disk). Owners and layering:
``docs/architecture.md`` (Terrain); the method: ``docs/terrain.md``.
"""
