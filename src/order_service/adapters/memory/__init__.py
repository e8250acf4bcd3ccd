"""The Storage port in plain Python, in memory: for fast tests of the shop's use cases."""

from order_service.adapters.memory.storage import MemoryStorage

__all__ = ["MemoryStorage"]
