"""Keyed pseudonyms: the same person gets the same pseudonym in every mission locale.

HMAC-SHA256 over the normalised name, first name and birth date, keyed by
``PARCOURS_PSEUDO_KEY``. Without the key nobody can recompute a pseudonym from a
name, so the stored value identifies duplicates without identifying anyone.
Production refuses to run without the key; development and tests generate one
under the instance folder.
"""

from __future__ import annotations

import hashlib
import hmac
import os

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from models.errors import DomainError
from models.settings import app_env, instance_secret

KEY_ENV = "PARCOURS_PSEUDO_KEY"


class MissingPseudonymKey(DomainError):
    pass


def pseudonym_key() -> bytes:
    key = os.environ.get(KEY_ENV, "").strip()
    if key:
        return key.encode()
    if app_env() == "production":
        raise MissingPseudonymKey(
            f"{KEY_ENV} est obligatoire en production : sans clé, les identités ne peuvent "
            "pas être pseudonymisées et l'import est refusé. Définissez une valeur longue et "
            "aléatoire, identique pour tous les imports de la région.")
    return instance_secret("parcours_pseudo_key").encode()


def _normalise(series: pd.Series) -> list[str]:
    """Upper case, accents and everything but letters and digits removed (vectorised)."""
    text = pa.array(series.fillna("").astype(str).to_numpy(dtype=object), type=pa.string())
    text = pc.utf8_upper(pc.utf8_normalize(text, "NFKD"))
    return pc.replace_substring_regex(text, "[^A-Z0-9]", "").to_pylist()


def pseudonyms(key: bytes, nom: pd.Series, prenom: pd.Series,
               birth_iso: list[str | None], birth_raw: pd.Series,
               record: pd.Series) -> list[str]:
    """128-bit hex pseudonyms, one per row (the birth date as ISO when valid, else raw).

    A row with neither name nor first name has no identity to compare: it gets a
    pseudonym of its own record (``record`` = "code_ml|id_jeune"), so such rows are never
    taken for duplicates of each other.
    """
    noms = _normalise(nom)
    prenoms = _normalise(prenom)
    raws = birth_raw.fillna("").astype(str).str.strip().tolist()
    records = record.tolist()
    out = []
    new = hmac.new
    for n, p, iso, raw, rec in zip(noms, prenoms, birth_iso, raws, records, strict=True):
        message = f"{n}|{p}|{iso or raw}" if n or p else f"~sans-identite|{rec}"
        out.append(new(key, message.encode(), hashlib.sha256).hexdigest()[:32])
    return out
