"""Benchmarks of tangent_ad against hand-written NumPy gradients and peer AD
systems: `python benchmarks/run.py` (see README.md)."""
