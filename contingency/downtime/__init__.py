"""Downtime data: what was done by hand while a system was down, re-entered, spot-checked and reconciled.

Models (models.py), pure checks of a record against its kind (checks.py), spot-check sampling
(sampling.py), the services every page, API call and command uses (services.py, importing.py),
and the reads (progress.py). The imaging archive side (DICOM queries, matching records to studies)
lives in downtime/archive/ and reads the same records (see its README in docs/guide/downtime.md).
"""
