"""Notifications: call trees, the outbox and its delivery worker, acknowledgements."""
