"""Streamlit entry point: ``streamlit run dashboard/app.py``.

A router (st.navigation) whose pages depend on the signed-in user's role,
decided by the same policy as the web app.
"""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

# `streamlit run dashboard/app.py` puts dashboard/ on sys.path, not the project root.
ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from dashboard.auth import current_principal, login_form, logout  # noqa: E402
from models.accounts.roles import Role  # noqa: E402

st.set_page_config(page_title="Animaréseau · Tableaux de bord", page_icon=":material/bar_chart:",
                   layout="wide")

VIEWS = Path(__file__).resolve().parent / "views"

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
if user.can("quality.view"):
    pages.append(st.Page(str(VIEWS / "qualite.py"), title="Qualité des données",
                         icon=":material/fact_check:"))

with st.sidebar:
    st.markdown(f"**{user.full_name}**  \n{Role(user.role).label}")
    if st.button("Se déconnecter", key="logout"):
        logout()

st.navigation(pages).run()
