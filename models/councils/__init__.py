"""Director councils, working groups and collective projects: meetings, agendas,
invitations, attendance, minutes, and the one decision register (councils, copil
meetings and collective projects)."""
