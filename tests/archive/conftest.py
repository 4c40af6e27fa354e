"""The archive tests use the session's Orthanc, `archive` (tests/conftest.py), shared with the reconciliation
run tests of the ledger."""
