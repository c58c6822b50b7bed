"""Strawberry types, one module per family of the product."""
