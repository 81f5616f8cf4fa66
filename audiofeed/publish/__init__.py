"""Orchestration: build every artifact, plan, apply to the destination, record the result."""
