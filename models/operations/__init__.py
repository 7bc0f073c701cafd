"""Operations: backups, retention, scheduled jobs and the access log of youth-level data."""
