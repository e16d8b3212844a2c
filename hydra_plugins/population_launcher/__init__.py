"""A Hydra launcher that trains the jobs of a sweep as batched populations (see launcher.py)."""
