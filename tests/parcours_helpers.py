"""Small hand-written extracts and a one-call import for the parcours tests."""

from __future__ import annotations

import zipfile
from datetime import date
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.parcours.errors import ImportRefused
from models.parcours.orm import ParcoursImport
from models.parcours.pipeline import ImportOutcome, run_import

TODAY = date(2026, 11, 23)
PERIOD = (date(2026, 1, 1), date(2026, 9, 30))
KEY = b"cle-de-test-pseudonymisation"

JEUNES_HEADER = ("code_ml;id_jeune;nom;prenom;date_naissance;sexe;code_postal;code_commune;qpv;"
                 "zrr;niveau_formation;date_premier_accueil;logement;permis_b;vehicule;rqth")
EVENEMENTS_HEADER = "code_ml;id_jeune;date_evenement;type;thematique"
SITUATIONS_HEADER = "code_ml;id_jeune;type_situation;date_debut;date_fin"
DISPOSITIFS_HEADER = "code_ml;id_jeune;dispositif;date_entree;date_sortie;motif_sortie"


def jeune(code_ml: str = "33005", id_jeune: str = "1", nom: str = "Dupont",
          prenom: str = "Léa", naissance: str = "03/04/2005", sexe: str = "F",
          postal: str = "33500", commune: str = "33243", niveau: str = "4",
          accueil: str = "01/02/2026") -> str:
    return (f"{code_ml};{id_jeune};{nom};{prenom};{naissance};{sexe};{postal};{commune};N;N;"
            f"{niveau};{accueil};PARENTS;N;N;N")


def clean_young(n: int, code_ml: str = "33005", start: int = 1) -> list[str]:
    """``n`` young people who break no rule (unique names)."""
    return [jeune(code_ml, str(i), nom=f"Nom{chr(65 + i % 26)}{i}", prenom=f"Prenom{i}")
            for i in range(start, start + n)]


def write_extract(folder: Path, *, jeunes: list[str] | None = None,
                  evenements: list[str] | None = None, situations: list[str] | None = None,
                  dispositifs: list[str] | None = None, encoding: str = "utf-8",
                  headers: dict[str, str] | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    headers = headers or {}
    files = {"jeunes": (JEUNES_HEADER, jeunes), "evenements": (EVENEMENTS_HEADER, evenements),
             "situations": (SITUATIONS_HEADER, situations),
             "dispositifs": (DISPOSITIFS_HEADER, dispositifs)}
    for name, (header, rows) in files.items():
        if rows is None:
            continue
        text = "\n".join([headers.get(name, header), *rows]) + "\n"
        (folder / f"{name}.csv").write_bytes(text.encode(encoding))
    return folder


def zip_folder(folder: Path, target: Path) -> Path:
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for child in sorted(folder.iterdir()):
            archive.write(child, child.name)
    return target


def queue(engine, period=PERIOD, name: str = "extrait") -> int:
    with Session(engine) as session:
        record = ParcoursImport(source_name=name, period_start=period[0], period_end=period[1])
        session.add(record)
        session.commit()
        return record.id


def do_import(engine, path: Path, period=PERIOD, **kwargs) -> ImportOutcome:
    import_id = queue(engine, period, path.name)
    return run_import(engine, import_id, path, today=TODAY, key=KEY, **kwargs)


def refused(engine, path: Path, period=PERIOD) -> tuple[list[str], ParcoursImport]:
    """Run an import expected to be refused: its messages and the recorded import."""
    import_id = queue(engine, period, path.name)
    try:
        run_import(engine, import_id, path, today=TODAY, key=KEY)
    except ImportRefused as exc:
        messages = exc.messages
    else:  # pragma: no cover - the test fails below
        raise AssertionError("import accepted")
    with Session(engine) as session:
        record = session.scalar(select(ParcoursImport).where(ParcoursImport.id == import_id))
        session.expunge(record)
    return messages, record
