"""The terminal: a town square and a private chat with the bot for each resident."""
