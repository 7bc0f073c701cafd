"""``flask --app webapp seed demo``: an idempotent, believable demo region.

Idempotent: missions locales, funders and accounts are matched by code, name
and e-mail and only created when missing, so running it twice changes nothing.
Later issues add their own builders here.
"""

from __future__ import annotations

import random
import unicodedata

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from models.accounts.orm import User
from models.accounts.roles import Role
from models.accounts.services import UserData, create_user, find_by_email
from models.base import Base
from models.network.orm import MissionLocale, Region
from seeds.councils_demo import build_councils
from seeds.funding_data import FINANCEUR_FUNDER
from seeds.funding_demo import build_funders
from seeds.mentoring_demo import build_mentoring
from seeds.network_data import (
    DIRECTOR_FIRST,
    DIRECTOR_LAST,
    INACTIVE_CODES,
    MISSIONS_LOCALES,
    REGION,
)
from seeds.parcours_demo import build_parcours
from seeds.programme_demo import build_programmes
from seeds.reports_demo import build_reports
from seeds.training_demo import build_training

DEMO_PASSWORD = "demo-arml-2026"  # noqa: S105 - documented demo credential
DEMO_ML_CODE = "33005"  # the mission locale the demo ``ml`` account belongs to

# (e-mail, full name, role, ML code or None)
DEMO_ACCOUNTS: list[tuple[str, str, Role, str | None]] = [
    ("admin@demo.arml.fr", "Anne Delorme", Role.ADMIN, None),
    ("animation@demo.arml.fr", "Julien Marty", Role.ANIMATEUR, None),
    ("animation2@demo.arml.fr", "Leïla Benali", Role.ANIMATEUR, None),
    ("copil@demo.arml.fr", "Bertrand Roux (DREETS)", Role.COPIL, None),
    ("ml@demo.arml.fr", "Claire Fontaine", Role.ML, DEMO_ML_CODE),
    ("ml-pau@demo.arml.fr", "Xabi Etchegaray", Role.ML, "64001"),
    ("financeur@demo.arml.fr", "Marion Castaing (Région)", Role.FINANCEUR, None),
]
#: e-mail → key of the funder (``seeds.funding_data.FUNDERS``) a financeur account sees.
DEMO_FUNDERS = {"financeur@demo.arml.fr": FINANCEUR_FUNDER}


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(c if c.isalnum() else "-" for c in ascii_text.lower()).strip("-")


def wipe(session: Session) -> None:
    """Remove every row of every table (``seed demo --reset``)."""
    for table in reversed(Base.metadata.sorted_tables):
        session.execute(delete(table))
    session.flush()


def build_network(session: Session) -> Region:
    region = session.scalars(select(Region).where(Region.code == REGION["code"])).first()
    if region is None:
        region = Region(**REGION)
        session.add(region)
        session.flush()
    existing = set(session.scalars(select(MissionLocale.code)))
    rng = random.Random(2026)  # noqa: S311 - deterministic demo data
    for code, name, dep, commune in MISSIONS_LOCALES:
        first, last = rng.choice(DIRECTOR_FIRST), rng.choice(DIRECTOR_LAST)
        if code in existing:
            continue
        session.add(MissionLocale(
            region=region, code=code, name=name, departement=dep, commune=commune,
            director_name=f"{first} {last}",
            director_email=f"direction@{_slug(commune)}.ml-demo.fr",
            active=code not in INACTIVE_CODES,
        ))
    session.flush()
    return region


def build_accounts(session: Session) -> int:
    rows = session.execute(select(MissionLocale.code, MissionLocale.id))
    ml_ids = {code: id_ for code, id_ in rows}
    funder_ids = build_funders(session)
    created = 0
    for email, name, role, ml_code in DEMO_ACCOUNTS:
        if find_by_email(session, email) is not None:
            continue
        funder = DEMO_FUNDERS.get(email)
        create_user(session, None, UserData(
            email=email, full_name=name, role=role, mission_locale_id=ml_ids.get(ml_code),
            funder_id=funder_ids[funder] if funder else None), DEMO_PASSWORD)
        created += 1
    return created


#: The demo tells a believable year 2026, whatever the install date (README, limits).
YEAR_NOTICE = ("La démonstration montre l'année 2026 (programme 2026 en cours, formations "
               "et extractions Parcours de 2026), quelle que soit la date d'installation.")


def build_demo(session: Session) -> str:
    """Build (or complete) the demo region; flushes, the caller commits."""
    build_network(session)
    build_accounts(session)
    programmes = build_programmes(session)
    training = build_training(session)
    parcours = build_parcours(session, featured_ml=DEMO_ML_CODE)  # commits: imports run inline
    reports = build_reports(session)
    councils = build_councils(session)
    mentoring = build_mentoring(session, featured_ml=DEMO_ML_CODE)
    n_ml = len(session.scalars(select(MissionLocale.id)).all())
    n_users = len(session.scalars(select(User.id)).all())
    return (f"{n_ml} missions locales, {n_users} comptes (mot de passe : {DEMO_PASSWORD}), "
            f"{programmes}, {training}, {parcours}, {reports}, {councils}, {mentoring}. "
            f"{YEAR_NOTICE}")
