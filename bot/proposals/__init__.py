"""Residents' proposals: propose in private, moderation, supports on a live card, a threshold owed an
official answer, the answers and their history, and the followers told of each step."""
