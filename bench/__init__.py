"""Benchmarks of otp_flow: scripts that print measured figures (see bench/README.md)."""
