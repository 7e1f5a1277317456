"""The outbox's wire format: replies decided now are stored as JSON (bot/dispatcher.py delivers them)."""
