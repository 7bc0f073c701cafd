"""Dashboard sign-in against the same users table, password check and policy."""

from __future__ import annotations

import time
from dataclasses import dataclass

import streamlit as st

from dashboard.data import session_scope
from models import policy
from models.accounts.orm import User
from models.accounts.services import authenticate
from models.audit import set_actor

MAX_ATTEMPTS = 5
LOCK_SECONDS = 60


@dataclass(frozen=True)
class Principal:
    """What a page needs to know about the signed-in user (no ORM object in the state)."""

    id: int
    full_name: str
    role: str
    mission_locale_id: int | None
    active: bool = True
    is_authenticated: bool = True

    def can(self, action: str, obj=None) -> bool:
        return policy.can(self, action, obj)


def current_principal() -> Principal | None:
    """The signed-in user, re-read on every run: a deactivated account is signed out."""
    user_id = st.session_state.get("user_id")
    if user_id is None:
        return None
    with session_scope() as session:
        user = session.get(User, user_id)
        if user is None or not user.active or user.session_epoch != st.session_state.get("epoch"):
            st.session_state.pop("user_id", None)
            return None
        return Principal(user.id, user.full_name, str(user.role), user.mission_locale_id)


def login_form() -> None:
    st.title("Animaréseau · Tableaux de bord")
    st.caption("Connectez-vous avec votre compte Animaréseau "
               "(mêmes identifiants que l'application).")
    locked_until = st.session_state.get("locked_until", 0.0)
    with st.form("login"):
        email = st.text_input("Adresse e-mail", key="login_email")
        password = st.text_input("Mot de passe", type="password", key="login_password")
        submitted = st.form_submit_button("Se connecter", type="primary", key="login_submit")
    if not submitted:
        return
    if time.monotonic() < locked_until:
        st.error("Trop de tentatives. Patientez une minute avant de réessayer.")
        return
    with session_scope() as session:
        set_actor(session, None, via="dashboard")
        user = authenticate(session, email, password)
        if user is not None:
            st.session_state.update(user_id=user.id, epoch=user.session_epoch, attempts=0)
    if user is None:
        attempts = st.session_state.get("attempts", 0) + 1
        st.session_state["attempts"] = attempts
        if attempts >= MAX_ATTEMPTS:
            st.session_state["locked_until"] = time.monotonic() + LOCK_SECONDS
            st.session_state["attempts"] = 0
        st.error("Adresse e-mail ou mot de passe incorrect, ou compte désactivé.")
        return
    st.rerun()


def logout() -> None:
    for key in ("user_id", "epoch"):
        st.session_state.pop(key, None)
    st.rerun()
