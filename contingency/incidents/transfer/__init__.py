"""Bringing incidents run on a laptop copy across to the main server: export, and import without duplicates.

See bundle.py for the file, sections.py for what it carries, and importing.py for how a second
import of the same file changes nothing while a later export updates what the laptop changed.
"""
