"""The DMS sync REST API under ``/api/v1/`` (R8.1)."""
