"""Suppliers: each supplier's continuity assurance, and the vendor tickets and their clocks in an incident."""
