"""Consultations: multi-question questionnaires organizers define in YAML and residents answer in private."""
