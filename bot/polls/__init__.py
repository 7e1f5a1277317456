"""Micro-polls: one question, one tap to vote, live results."""
