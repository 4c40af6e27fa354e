"""One small module per way of sending: each a Transport (see base.py), listed in registry.py."""
