"""Benchmarks: scripts run by hand (see README.md here), never collected by pytest."""
