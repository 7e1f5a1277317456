"""The outbox: messages decided now, delivered by a dispatcher at the platforms' pace, never lost."""
