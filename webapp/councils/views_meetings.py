"""(to be written)"""

from webapp.councils import bp  # noqa: F401
