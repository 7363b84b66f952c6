"""MemoryScope-style atomic steps that the services compose (small, mostly pure functions)."""
