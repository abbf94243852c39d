"""Allocation runs and cap sweeps: being built."""
