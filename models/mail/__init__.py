"""Outgoing e-mail: a transactional outbox, delivered by SMTP when one is configured."""
