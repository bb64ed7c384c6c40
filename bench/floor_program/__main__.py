"""The floor's program: replay the dumped registrations (bench/floor.py)."""

from bench.floor import replay

replay()
