"""HTTP front of coverage-gis (FastAPI): translates requests to library calls.

Build the app with :func:`coverage_gis_api.app.create_app`; nothing is created at import time.
"""
