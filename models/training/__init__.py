"""Regional training programme: catalogue, sessions, registrations, attendance, evaluations."""
