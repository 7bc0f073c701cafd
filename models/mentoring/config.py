"""Settings of the mentoring domain (module constants until an admin setting exists)."""

from __future__ import annotations

from models.mentoring.enums import TrainingRule

#: pairings a new mentor may hold at once
DEFAULT_CAPACITY = 3
#: a mentor not yet trained: refuse the activation, or only warn
TRAINING_RULE = TrainingRule.WARNING
#: a pairing may start at most this many months after today
MAX_START_AHEAD_MONTHS = 3
#: the follow-up outcome is due this many months after the end
FOLLOW_UP_MONTHS = 6
#: a pairing ended before this many days is "rompu" whatever the reason
SHORT_PAIRING_DAYS = 42
#: age at entry (completed years)
MIN_AGE, MAX_AGE, WARN_UNTIL_AGE = 16, 25, 29
MAJORITY = 18
