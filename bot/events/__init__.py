"""Public events: announcement card with RSVP buttons, calendar files, and reminders through the outbox."""
