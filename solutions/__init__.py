"""The instructor's reference for the lab: importable, every input explicit."""
