"""Laptop copies: the server's signed feed of issued plans, and the laptop's pull that keeps a copy current."""
