"""Animaréseau domain core: SQLAlchemy models, business rules and queries.

Nothing in this package imports Flask request machinery or Streamlit, so the
web app, the dashboard, the CLI and the PDF builders all share it.
"""

import os

# The observatory's secrecy audit factorises many small matrices: multi-threaded BLAS
# makes that several times slower on a shared machine (set before numpy is imported).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from models.accounts import orm as _accounts_orm  # noqa: F401, E402
from models.audit import listeners as _audit_listeners  # noqa: F401

# Import every ORM module so that ``Base.metadata`` is complete as soon as the
# package is imported (Alembic, the dashboard and the tests rely on it).
from models.audit import orm as _audit_orm  # noqa: F401
from models.base import Base
from models.councils import orm as _councils_orm  # noqa: F401
from models.funding import orm as _funding_orm  # noqa: F401
from models.mail import orm as _mail_orm  # noqa: F401
from models.mentoring import orm as _mentoring_orm  # noqa: F401
from models.network import orm as _network_orm  # noqa: F401
from models.observatory import orm as _observatory_orm  # noqa: F401
from models.operations import orm as _operations_orm  # noqa: F401
from models.parcours import orm as _parcours_orm  # noqa: F401
from models.programme import computed as _computed_indicators  # noqa: F401
from models.programme import orm as _programme_orm  # noqa: F401
from models.reports import orm as _reports_orm  # noqa: F401
from models.training import orm as _training_orm  # noqa: F401

__all__ = ["Base"]
