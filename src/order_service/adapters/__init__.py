"""Adapters by technology: each subpackage speaks to one outside system."""
