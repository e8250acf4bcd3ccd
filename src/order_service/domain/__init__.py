"""The shop's rules in plain Python: values, events and the order aggregate.

Nothing in this package imports a web framework or a database library.
"""
