"""Pydantic models and referentials: the ground floor, no I/O."""
