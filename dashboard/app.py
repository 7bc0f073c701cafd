"""Streamlit entry point: ``streamlit run dashboard/app.py``.

A router (st.navigation) whose pages depend on the signed-in user's role,
decided by the same policy as the web app.
"""

from __future__ import annotations

import logging
import sys
import uuid
from pathlib import Path

import streamlit as st

# `streamlit run dashboard/app.py` puts dashboard/ on sys.path, not the project root.
ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from dashboard.auth import current_principal, login_form, logout  # noqa: E402
from dashboard.data_councils import RULE as COUNCILS_RULE  # noqa: E402
from dashboard.data_mentoring import RULE as MENTORING_RULE  # noqa: E402
from models.accounts.roles import Role  # noqa: E402

st.set_page_config(page_title="Animaréseau · Tableaux de bord", page_icon="📊",
                   layout="wide")

VIEWS = Path(__file__).resolve().parent / "views"
log = logging.getLogger("animareseau.dashboard")

user = current_principal()
if user is None:
    login_page = st.Page(login_form, title="Connexion", icon=":material/login:")
    page = st.navigation([login_page], position="hidden")
    page.run()
    st.stop()

st.session_state["principal"] = user
pages = [st.Page(str(VIEWS / "accueil.py"), title="Accueil", icon=":material/home:",
                 default=True)]
if user.can("network.view"):
    pages.append(st.Page(str(VIEWS / "reseau.py"), title="Réseau", icon=":material/map:"))
if user.can("programme.overview"):
    pages.append(st.Page(str(VIEWS / "programme.py"), title="Programme", icon=":material/flag:"))
if user.can("funding.plan"):
    pages.append(st.Page(str(VIEWS / "financements.py"), title="Financements",
                         icon=":material/euro:"))
if user.can("training.stats"):
    pages.append(st.Page(str(VIEWS / "formations.py"), title="Formations",
                         icon=":material/school:"))
if user.can(COUNCILS_RULE):
    pages.append(st.Page(str(VIEWS / "conseils.py"), title="Conseils et projets",
                         icon=":material/groups:"))
if user.can("observatory.view"):
    pages.append(st.Page(str(VIEWS / "observatoire.py"), title="Observatoire",
                         icon=":material/insights:"))
if user.can(MENTORING_RULE):
    pages.append(st.Page(str(VIEWS / "parrainage.py"), title="Parrainage",
                         icon=":material/handshake:"))
if user.can("quality.view"):
    pages.append(st.Page(str(VIEWS / "qualite.py"), title="Qualité des données",
                         icon=":material/fact_check:"))

with st.sidebar:
    # Names are shown as text, never read as Markdown (a name is typed by a person).
    st.text(f"{user.full_name}\n{Role(user.role).label}")
    if st.button("Se déconnecter", key="logout"):
        logout()

page = st.navigation(pages)
try:
    page.run()
except Exception:  # noqa: BLE001 - Streamlit's stop/rerun are BaseExceptions, not caught
    # No traceback for the user (client.showErrorDetails = "none"): a French message and a
    # reference to find the full error in the server's log.
    reference = uuid.uuid4().hex[:8]
    log.exception("dashboard error, reference %s, page %s, user %s", reference,
                  page.title, user.id)
    st.error("Une erreur inattendue s'est produite sur cette page ; elle a été enregistrée "
             f"(référence {reference}). Réessayez dans un instant ; si elle persiste, "
             "communiquez cette référence à l'équipe de l'ARML.")
