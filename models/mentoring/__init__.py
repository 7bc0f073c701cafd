"""Parrainage (mentoring): volunteer mentors, pseudonymous mentees, pairings that never
overlap, their meetings, and the outcome at the end and six months later.

Services take ``(session, actor, ...)`` (``actor=None``: CLI or seed), validate everything,
then write; they flush, never commit. Pairing decisions run under a database lock
(``models.mentoring.pairings``).
"""
