"""The handlers of the commands residents and organizers type. Which command runs which handler, with
which aliases and rights, is declared by the features (bot/features.py, bot/feature.py)."""
