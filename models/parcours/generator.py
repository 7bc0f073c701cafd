"""Synthetic Parcours extract: the four CSV files plus a manifest of injected breaches.

Tests, the bench and the demo need extracts that look like a real region's and whose
charter breaches are known exactly in advance: every clean row passes Q01–Q17, and the
manifest lists, rule by rule, the records the engine must flag (``record_key`` as the
engine builds it). Everything is drawn from one ``numpy`` generator seeded by ``seed``,
so the same arguments always give the same bytes (the ZIP too: fixed timestamps).

Distributions (clean rows; "period" = [du, au]):
- missions locales: lognormal sizes (σ 0.55), so some MLs are three times others;
- first reception: 38 % inside the period, the rest 1 day to 6 years before it
  (exponential, mean 18 months); always ≤ au and ≤ today;
- age at first reception 16–25: 16: 5 %, 17: 9 %, 18: 13 %, 19: 14 %, 20: 13 %,
  21: 12 %, 22: 10 %, 23: 9 %, 24: 8 %, 25: 7 % (peak 18–21); birth dates never on
  29 February and never within 3 days of a birthday boundary;
- sex 49 % F / 51 % H; first names by sex, ~180 each, and ~300 surnames (5 % double
  surnames), Zipf-weighted; (nom, prénom, date de naissance) unique in the region;
- qualification (current nomenclature): 1: 3 %, 2: 9 %, 3: 27 %, 4: 42 %, 5: 10 %,
  6: 6 %, 7: 2.5 %, 8: 0.5 %  (infra-bac 39 %, bac 42 %, post-bac 19 %);
- housing: PARENTS 58 %, AUTONOME 16 %, HEBERGE 14 %, FOYER 5 %, AUTRE 4 %, SANS 3 %;
- QPV 15 %, ZRR 10 % (never both), permis B 30 %, vehicle 55 % of licence holders
  (2 % without), RQTH 5 %;
- commune: 25 communes per ML in its département (Zipf-weighted), postal code in the same
  département ("20…" in Corsica, 97x overseas);
- events: 1 + negative binomial (n = 2) with mean 12.6 scaled by the share of the
  period the young person was followed (13.6 per young person on average), dated
  uniformly between max(du, first reception) and au, weekends moved to a weekday;
  ENTRETIEN 46 %, TELEPHONE 20 %, ATELIER 13 %, MAIL 12 %, AUTRE 6 %, VISITE 3 %;
  EMPLOI 34 %, PROJET_PRO 21 %, FORMATION 17 %, LOGEMENT 6 %, MOBILITE 6 %,
  CITOYENNETE 5 %, AUTRE 5 %, SANTE 4 %, LOISIRS 2 %; whoever has an open programme
  has an event in the last five months of the period;
- situations: Poisson(2.75) per young person (≈ 2.7 after de-duplication), one after
  the other from max(first reception, du − 1 year) (a new one starts at least a day
  after the previous one ends); DEMANDEUR_EMPLOI 22 %, EMPLOI_CDD 14 %, FORMATION 13 %,
  INTERIM 12 %, INACTIF 8 %, IMMERSION 7 %, APPRENTISSAGE 6 %, EMPLOI_CDI 5 %,
  SCOLARITE 4 %, CONTRAT_AIDE 3 %, CONTRAT_PRO 3 %, SERVICE_CIVIQUE 3 %; the last one is
  ongoing (empty end) when it is a CDI, job seeking, inactivity or school still running;
- programmes: 0/1/2/3 with 14/43/30/13 % (≈ 1.4), one after the other from
  max(first reception, du − 2 years); before 1 March 2022 PACEA 45 %, GARANTIE_JEUNES 30 %,
  AUTRE 15 %, PPAE 10 %; from then PACEA 50 %, CEJ 35 %, AUTRE 8 %, PPAE 7 %; the last
  one is open when its planned end is after au; exits carry a motif.

Defects: each rule gets its own young people (a young person carries at most one
injected breach), ≈ ``defect_rate`` of the eligible ones per rule (Q09/Q10: pairs,
≈ ``defect_rate`` of the young people involved; Q16: ≈ ``defect_rate`` × jeunes orphan
ids) and at least one per rule when ``defect_rate`` > 0 and ``jeunes`` ≥ 200 (Q10 needs
two missions locales). An injected breach triggers no other rule.
"""

from __future__ import annotations

import calendar
import json
import re
import unicodedata
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import IO, Any

import numpy as np

from models import clock

RULES: tuple[str, ...] = tuple(f"Q{i:02d}" for i in range(1, 18))
DEFECT_RATE_MAX = 0.05

COLUMNS: dict[str, tuple[str, ...]] = {
    "jeunes": ("code_ml", "id_jeune", "nom", "prenom", "date_naissance", "sexe",
               "code_postal", "code_commune", "qpv", "zrr", "niveau_formation",
               "date_premier_accueil", "logement", "permis_b", "vehicule", "rqth"),
    "evenements": ("code_ml", "id_jeune", "date_evenement", "type", "thematique"),
    "situations": ("code_ml", "id_jeune", "type_situation", "date_debut", "date_fin"),
    "dispositifs": ("code_ml", "id_jeune", "dispositif", "date_entree", "date_sortie",
                    "motif_sortie"),
}

# ------------------------------------------------------------------ reference lists
def _split(text: str) -> tuple[str, ...]:
    return tuple(n.strip() for n in text.split(",") if n.strip())


NOMS: tuple[str, ...] = _split("""
MARTIN, BERNARD, THOMAS, PETIT, ROBERT, RICHARD, DURAND, DUBOIS, MOREAU, LAURENT, SIMON,
MICHEL, LEFÈVRE, LEROY, ROUX, DAVID, BERTRAND, MOREL, FOURNIER, GIRARD, BONNET, DUPONT,
LAMBERT, FONTAINE, ROUSSEAU, VINCENT, MULLER, FAURE, ANDRÉ, MERCIER, BLANC, GUÉRIN, BOYER,
GARNIER, CHEVALIER, FRANÇOIS, LEGRAND, GAUTHIER, GARCIA, PERRIN, ROBIN, CLÉMENT, MORIN,
NICOLAS, HENRY, ROUSSEL, MATHIEU, GAUTIER, MASSON, MARCHAND, DUVAL, DENIS, DUMONT, MARIE,
LEMAIRE, NOËL, MEYER, DUFOUR, MEUNIER, BRUN, BLANCHARD, GIRAUD, JOLY, RIVIÈRE, LUCAS,
BRUNET, GAILLARD, BARBIER, ARNAUD, MARTINEZ, GÉRARD, ROCHE, RENARD, SCHMITT, ROY, LEROUX,
COLIN, VIDAL, CARON, PICARD, ROGER, FABRE, AUBERT, LEMOINE, RENAUD, DUMAS, LACROIX,
OLIVIER, PHILIPPE, BOURGEOIS, PIERRE, BENOÎT, REY, LECLERC, PAYET, ROLLAND, LECLERCQ,
GUILLAUME, LECOMTE, LOPEZ, JEAN, DUPUY, GUILLOT, HUBERT, BERGER, CARPENTIER, SANCHEZ,
DUPUIS, MOULIN, LOUIS, DESCHAMPS, HUET, VASSEUR, PEREZ, BOUCHER, FLEURY, ROYER, KLEIN,
JACQUET, ADAM, PARIS, POIRIER, MARTY, AUBRY, GUYOT, CARRÉ, CHARLES, RENAULT, CHARPENTIER,
MÉNARD, MAILLARD, BARON, BERTIN, BAILLY, HERVÉ, SCHNEIDER, FERNANDEZ, LE GALL, COLLET,
LÉGER, BOUVIER, JULIEN, PRÉVOST, MILLET, PERROT, DANIEL, COUSIN, GERMAIN, BRETON, BESSON,
LANGLOIS, RÉMY, LE GOFF, PELLETIER, LÉVÊQUE, PERRIER, LEBLANC, BARRÉ, LEBRUN, MARCHAL,
WEBER, MALLET, HAMON, BOULANGER, JACOB, MONNIER, MICHAUD, RODRIGUEZ, GUICHARD, GILLET,
ÉTIENNE, GRONDIN, POULAIN, TESSIER, CHEVALLIER, COLLIN, CHAUVIN, DA SILVA, BOUCHET, GAY,
LEMAÎTRE, BÉNARD, MARÉCHAL, HUMBERT, REYNAUD, ANTOINE, HOARAU, PERRET, BARTHÉLEMY,
CORDIER, PICHON, LEJEUNE, GILBERT, LAMY, DELAUNAY, PASQUIER, CARLIER, LAPORTE, GAUDIN,
BOURDON, GUILLON, LEBON, BUISSON, LEGROS, SAUVAGE, MAURY, DELMAS, TANGUY, DIALLO, TRAORÉ,
KONÉ, CAMARA, COULIBALY, DIOP, NDIAYE, SYLLA, TOURÉ, CISSÉ, KEITA, DIARRA, FOFANA,
BENALI, BOUZID, HADDAD, MEZIANE, SAÏDI, BELKACEM, AMRANI, BENSALEM, CHERIF, HAMIDI,
MANSOURI, BRAHIMI, BOUAZIZ, ZIANI, LAHLOU, EL IDRISSI, NGUYEN, TRAN, PHAM, HOANG, YILMAZ,
KAYA, DEMIR, ÇELIK, ŞAHIN, PEREIRA, RODRIGUES, GONÇALVES, MENDES, FERNANDES, MARQUES,
LOPES, RIBEIRO, ALVES, CARVALHO, FERREIRA, DOS SANTOS, DA COSTA, OLIVEIRA, SOUSA, ROSSI,
RUSSO, ESPOSITO, ROMANO, KOWALSKI, NOWAK, SCHMIDT, WAGNER, FISCHER, HOFFMANN, BECKER,
KELLER, HUBER, SCHAEFFER, WALTER, KIEFFER, FRITSCH, LE BRIS, KERBRAT, LE BIHAN, GUÉGUEN,
MORVAN, RIOU, LE GUEN, HOAREAU, TECHER, MAILLOT, NATIVEL, LAURET, MUSSARD, DIJOUX,
SAUTRON, FONTENEAU, BRIAND, GIMENEZ, NAVARRO, MOLINA, DELGADO, ORTEGA, RAMOS, TORRES,
""")

PRENOMS_F: tuple[str, ...] = _split("""
Emma, Léa, Chloé, Manon, Inès, Camille, Sarah, Océane, Jade, Clara, Lucie, Lola, Laura,
Marie, Anaïs, Mathilde, Julie, Pauline, Eva, Zoé, Louise, Lisa, Juliette, Maëlys, Lina,
Romane, Alice, Léna, Ambre, Charlotte, Justine, Margaux, Marine, Morgane, Mélanie, Émilie,
Élodie, Amandine, Audrey, Célia, Yasmine, Nour, Sofia, Salomé, Maëva, Noémie, Alicia,
Alexia, Cassandra, Coralie, Estelle, Fanny, Gabrielle, Héloïse, Jeanne, Kelly, Laurine,
Leïla, Lilou, Lou, Lucile, Mélissa, Nina, Ophélie, Perrine, Rose, Sabrina, Sana, Sophie,
Tiphaine, Valentine, Victoria, Wendy, Aïcha, Amina, Fatoumata, Mariam, Kenza, Imane, Rania,
Safia, Soraya, Assia, Anissa, Samia, Myriam, Marion, Élise, Elsa, Émeline, Éloïse,
Capucine, Candice, Carla, Cécile, Claire, Clémence, Coline, Flavie, Flora, Gaëlle,
Jennifer, Jessica, Johanna, Julia, Laetitia, Léonie, Lilia, Louna, Maïwenn, Maud, Mégane,
Mélina, Naomi, Nadia, Norah, Prune, Priscilla, Rebecca, Sandra, Solène, Stella, Tessa,
Vanessa, Aurélie, Axelle, Bérénice, Angèle, Apolline, Agathe, Adèle, Albane, Anne, Ariane,
Aude, Charline, Chiara, Daphné, Diane, Dounia, Elena, Enora, Eléa, Emmy, Esther, Eugénie,
Fatima, Hanna, Hawa, Ilona, Inaya, Iris, Jasmine, Kimberley, Kiara, Laly, Lana, Lise,
Lorena, Lya, Maya, Maëlle, Malak, Margot, Marwa, Meryem, Mia, Nora, Oriane, Rachel, Sakina,
Selma, Shaïna, Sirine, Thaïs, Yousra, Zahra, Zeynep, Aya, Awa, Anaëlle, Mariama, Kadiatou,
""")

PRENOMS_H: tuple[str, ...] = _split("""
Lucas, Thomas, Hugo, Théo, Nathan, Maxime, Enzo, Alexandre, Antoine, Quentin, Clément,
Louis, Kévin, Mathis, Romain, Julien, Nicolas, Baptiste, Dylan, Tom, Arthur, Paul, Léo,
Gabriel, Raphaël, Valentin, Axel, Benjamin, Adrien, Florian, Jordan, Jérémy, Anthony,
Alexis, Mathieu, Pierre, Corentin, Tristan, Victor, Samuel, Noah, Ethan, Yanis, Rayan,
Adam, Mohamed, Ryan, Bilal, Karim, Mehdi, Sofiane, Walid, Amine, Ilyes, Ismaël, Yassine,
Youssef, Hamza, Anis, Nassim, Moussa, Mamadou, Ibrahima, Oumar, Abdoulaye, Sékou, Kylian,
Loïc, Malo, Maël, Evan, Esteban, Diego, Sacha, Timothée, Simon, Robin, Rémi, Guillaume,
Vincent, Sébastien, Steven, Jason, Jonathan, Jimmy, Johan, Kenzo, Lenny, Liam, Lorenzo,
Luca, Marius, Matteo, Max, Nolan, Noé, Owen, Pablo, Sami, Sylvain, Thibault, Tony, Ugo,
Warren, Xavier, Yann, Yohan, Zakaria, Aurélien, Bastien, Bryan, Cédric, Charles,
Christopher, Cyril, Damien, David, Dorian, Erwan, Fabien, Félix, Gaëtan, Grégory, Jules,
Justin, Lilian, Logan, Lucien, Marc, Mickaël, Morgan, Nathanaël, Olivier, Pierre-Louis,
Stéphane, Teddy, Titouan, Wassim, Yacine, Younes, Abdel, Adama, Ali, Aymen, Ayoub, Badr,
Brahim, Djibril, Elias, Ewen, Gabin, Gaspard, Ilan, Issa, Jean, Killian, Léon, Lyes,
Mathéo, Milan, Naël, Nabil, Noam, Omar, Rafael, Sandro, Souleymane, Tiago, Timéo, Yoann,
Yusuf, Ziyad, Jean-Baptiste, Kais, Alban, Oscar, Raphaël-Ange, Sohan, Tanguy, Wilfried,
""")

NIVEAUX = ("1", "2", "3", "4", "5", "6", "7", "8")
NIVEAU_WEIGHTS = (3, 9, 27, 42, 10, 6, 2.5, 0.5)
OLD_NIVEAUX = ("VI", "V bis", "V", "IV", "III", "II", "I")
OLD_NIVEAU_WEIGHTS = (10, 15, 30, 30, 8, 5, 2)
LOGEMENTS = ("PARENTS", "AUTONOME", "HEBERGE", "FOYER", "AUTRE", "SANS")
LOGEMENT_WEIGHTS = (58, 16, 14, 5, 4, 3)
AGES = tuple(range(16, 26))
AGE_WEIGHTS = (5, 9, 13, 14, 13, 12, 10, 9, 8, 7)

EVENT_TYPES = ("ENTRETIEN", "TELEPHONE", "ATELIER", "MAIL", "AUTRE", "VISITE")
EVENT_TYPE_WEIGHTS = (46, 20, 13, 12, 6, 3)
THEMES = ("EMPLOI", "PROJET_PRO", "FORMATION", "LOGEMENT", "MOBILITE", "CITOYENNETE",
          "AUTRE", "SANTE", "LOISIRS")
THEME_WEIGHTS = (34, 21, 17, 6, 6, 5, 5, 4, 2)

# type, weight, mean duration (days), ongoing when it is the last one and still running
SITUATIONS: tuple[tuple[str, float, int, bool], ...] = (
    ("DEMANDEUR_EMPLOI", 22, 150, True), ("EMPLOI_CDD", 14, 120, False),
    ("FORMATION", 13, 150, False), ("INTERIM", 12, 30, False), ("INACTIF", 8, 120, True),
    ("IMMERSION", 7, 10, False), ("APPRENTISSAGE", 6, 540, False),
    ("EMPLOI_CDI", 5, 1500, True), ("SCOLARITE", 4, 280, True),
    ("CONTRAT_AIDE", 3, 300, False), ("CONTRAT_PRO", 3, 365, False),
    ("SERVICE_CIVIQUE", 3, 240, False),
)
SITUATION_TYPES = tuple(s[0] for s in SITUATIONS)
EMPLOYMENT = ("EMPLOI_CDI", "EMPLOI_CDD", "INTERIM", "CONTRAT_AIDE", "APPRENTISSAGE",
              "CONTRAT_PRO")

DISPOSITIFS = ("PACEA", "CEJ", "GARANTIE_JEUNES", "PPAE", "AUTRE")
_PACEA, _CEJ, _GJ = 0, 1, 2
DISPOSITIF_WEIGHTS_BEFORE = (45, 0, 30, 10, 15)  # before 1 March 2022
DISPOSITIF_WEIGHTS_AFTER = (50, 35, 0, 7, 8)
DISPOSITIF_DURATIONS = (450, 300, 420, 200, 120)
PROGRAMME_COUNT_WEIGHTS = (14, 43, 30, 13)
MOTIFS = ("EMPLOI", "EMPLOI_DURABLE", "FORMATION", "ALTERNANCE", "FIN_DE_DROITS",
          "ABANDON", "DEMENAGEMENT", "AUTRE")
MOTIF_WEIGHTS = (25, 15, 15, 8, 15, 10, 5, 7)

CEJ_START = date(2022, 3, 1)
_EPOCH = date(1970, 1, 1)
_NONE = -(10**9)  # "no date" in the day arrays
_MARGIN = 3  # days kept away from every boundary a rule tests (ages, Q15 window)
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
_CHUNK = 200_000
_EVENT_FIELDS = ("e_y", "e_date", "e_type", "e_theme", "e_bad", "e_q17")
_DEPARTEMENT = re.compile(r"0[1-9]|1\d|2[1-9]|2A|2B|[3-8]\d|9[0-5]|97[1-6]")


# ------------------------------------------------------------------ manifest
@dataclass(frozen=True)
class Manifest:
    """What was generated and, per rule, the records the charter engine must flag."""

    seed: int
    jeunes: int
    defect_rate: float
    period: tuple[date, date]
    today: date
    counts: dict[str, int]
    defects: dict[str, list[tuple[str, str, str]]] = field(default_factory=dict)
    archive: str | None = None  # the ZIP's file name when zipped

    def to_dict(self) -> dict[str, Any]:
        return {
            "seed": self.seed,
            "jeunes": self.jeunes,
            "defect_rate": self.defect_rate,
            "period": [self.period[0].isoformat(), self.period[1].isoformat()],
            "today": self.today.isoformat(),
            "counts": dict(self.counts),
            "defects": {rule: [list(t) for t in self.defects.get(rule, [])]
                        for rule in RULES},
        }

    def to_json(self) -> str:
        """The manifest as JSON text, one defect per line (readable, diff-friendly)."""
        data = self.to_dict()
        defects = data.pop("defects")
        head = json.dumps(data, ensure_ascii=False, indent=1)[:-2]
        parts = []
        for rule, rows in defects.items():
            items = ",\n   ".join(json.dumps(r, ensure_ascii=False) for r in rows)
            parts.append(f'  "{rule}": [' + (f"\n   {items}\n  ]" if rows else "]"))
        return head + ',\n "defects": {\n' + ",\n".join(parts) + "\n }\n}\n"

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Manifest:
        return cls(
            seed=int(data["seed"]), jeunes=int(data["jeunes"]),
            defect_rate=float(data["defect_rate"]),
            period=(date.fromisoformat(data["period"][0]),
                    date.fromisoformat(data["period"][1])),
            today=date.fromisoformat(data["today"]) if data.get("today") else clock.today(),
            counts={k: int(v) for k, v in data["counts"].items()},
            defects={rule: [tuple(t) for t in data["defects"].get(rule, [])]
                     for rule in RULES},
        )

    @classmethod
    def load(cls, path: str | Path) -> Manifest:
        return cls.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))

    def expected(self) -> set[tuple[str, str, str, str]]:
        """(rule, code_ml, id_jeune, record_key) of every finding the engine must report."""
        return {(rule, *t) for rule, rows in self.defects.items() for t in rows}


# ------------------------------------------------------------------ entry point
def generate_extract(out_dir: Path | str, *, jeunes: int, seed: int, defect_rate: float,
                     missions_locales: Sequence[tuple[str, str]],
                     period: tuple[date, date], zip_output: bool = False,
                     today: date | None = None) -> Manifest:
    """Write a synthetic extract into ``out_dir`` (four CSV files or one ZIP) and its manifest.

    ``missions_locales``: (code_ml, département) pairs; ``period``: (du, au) inclusive.
    Raises ``ValueError`` on arguments it cannot honour.
    """
    today = clock.today() if today is None else today
    du, au = period
    codes, depts = _check_arguments(jeunes, defect_rate, missions_locales, du, au)
    build = _Build(np.random.default_rng(seed), jeunes, float(defect_rate), codes, depts,
                   du, au, today)
    build.run()
    tables, defects = build.tables()

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    archive = None
    if zip_output:
        archive = f"extrait_{du:%Y%m%d}_{au:%Y%m%d}.zip"
        with zipfile.ZipFile(out / archive, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            for name, table in tables.items():
                info = zipfile.ZipInfo(f"{name}.csv", date_time=_ZIP_TIME)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                with zf.open(info, "w") as fh:
                    _write_table(fh, COLUMNS[name], table)
    else:
        for name, table in tables.items():
            with open(out / f"{name}.csv", "wb") as fh:
                _write_table(fh, COLUMNS[name], table)

    manifest = Manifest(
        seed=seed, jeunes=jeunes, defect_rate=float(defect_rate), period=(du, au),
        today=today, counts={name: table.rows for name, table in tables.items()},
        defects=defects, archive=archive)
    (out / "manifest.json").write_text(manifest.to_json(), encoding="utf-8")
    return manifest


def _check_arguments(jeunes: int, defect_rate: float,
                     missions_locales: Sequence[tuple[str, str]], du: date,
                     au: date) -> tuple[list[str], list[str]]:
    if jeunes < 1:
        raise ValueError("jeunes must be at least 1")
    if not 0 <= defect_rate <= DEFECT_RATE_MAX:
        raise ValueError(f"defect_rate must be between 0 and {DEFECT_RATE_MAX}")
    if du > au:
        raise ValueError("the period's start is after its end")
    if not missions_locales:
        raise ValueError("at least one mission locale is needed")
    codes, depts = [], []
    for code, dept in missions_locales:
        code, dept = str(code).strip(), str(dept).strip().upper()
        if not code or any(c in code for c in ';"\r\n'):
            raise ValueError(f"unusable code_ml {code!r}")
        if not _DEPARTEMENT.fullmatch(dept):
            raise ValueError(f"unknown département {dept!r} for {code}")
        codes.append(code)
        depts.append(dept)
    if len(set(codes)) != len(codes):
        raise ValueError("duplicate code_ml")
    return codes, depts


# ------------------------------------------------------------------ date helpers
def _day(d: date) -> int:
    return (d - _EPOCH).days


def _ymd(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    dt = np.asarray(days, dtype=np.int64).astype("datetime64[D]")
    months = dt.astype("datetime64[M]")
    y = dt.astype("datetime64[Y]").astype(np.int64) + 1970
    m = months.astype(np.int64) % 12 + 1
    d = (dt - months.astype("datetime64[D]")).astype(np.int64) + 1
    return y, m, d


def _from_ymd(y: np.ndarray, m: np.ndarray, d: np.ndarray) -> np.ndarray:
    months = ((y - 1970) * 12 + (m - 1)).astype("datetime64[M]")
    return months.astype("datetime64[D]").astype(np.int64) + d - 1


def _add_years(days: np.ndarray, years: np.ndarray | int) -> np.ndarray:
    y, m, d = _ymd(days)
    y = y + years
    leap = (y % 4 == 0) & ((y % 100 != 0) | (y % 400 == 0))
    d = np.where((m == 2) & (d == 29) & ~leap, 28, d)
    return _from_ymd(y, m, d)


def minus_months(day: date, months: int) -> date:
    """``day`` minus ``months`` calendar months, the day clipped to the month's end."""
    total = day.year * 12 + day.month - 1 - months
    year, month = divmod(total, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def _format_days(days: np.ndarray, iso: bool = False) -> np.ndarray:
    """JJ/MM/AAAA (or ISO) strings of day numbers, '' for ``_NONE``."""
    days = np.asarray(days, dtype=np.int64)
    out = np.full(days.shape, "", dtype=object)
    ok = days != _NONE
    if ok.any():
        uniq, inverse = np.unique(days[ok], return_inverse=True)
        y, m, d = _ymd(uniq)
        pattern = "{0:04d}-{1:02d}-{2:02d}" if iso else "{2:02d}/{1:02d}/{0:04d}"
        text = np.array([pattern.format(*t) for t in zip(y.tolist(), m.tolist(), d.tolist(),
                                                         strict=True)], dtype=object)
        out[ok] = text[inverse]
    return out


def _normalised(name: str) -> str:
    """The pseudonym's view of a name: upper-case letters only, accents dropped."""
    text = unicodedata.normalize("NFKD", name.upper())
    return "".join(c for c in text if "A" <= c <= "Z")


def _weights(values: Sequence[float]) -> np.ndarray:
    w = np.asarray(values, dtype=float)
    return w / w.sum()


def _zipf(n: int, offset: float = 8.0) -> np.ndarray:
    return _weights(1.0 / (np.arange(n) + offset))


def _first_per_group(groups: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Index of one random row per distinct value of ``groups``."""
    if len(groups) == 0:
        return np.zeros(0, dtype=np.int64)
    order = np.lexsort((rng.random(len(groups)), groups))
    g = groups[order]
    first = np.ones(len(g), dtype=bool)
    first[1:] = g[1:] != g[:-1]
    return order[first]


def _is_last_of_group(groups: np.ndarray) -> np.ndarray:
    last = np.ones(len(groups), dtype=bool)
    last[:-1] = groups[1:] != groups[:-1]
    return last


def _repeats(values: np.ndarray) -> np.ndarray:
    """True for repeats of a value already seen earlier in the array."""
    _, first = np.unique(values, return_index=True)
    dup = np.ones(len(values), dtype=bool)
    dup[first] = False
    return dup


# ------------------------------------------------------------------ the build
class _Build:
    """All arrays of one extract; each stage draws from the same generator in order."""

    def __init__(self, rng: np.random.Generator, n: int, rate: float, codes: list[str],
                 depts: list[str], du: date, au: date, today: date) -> None:
        self.rng, self.n, self.rate = rng, n, rate
        self.codes, self.depts = codes, depts
        self.du, self.au = _day(du), _day(au)
        self.today = _day(today)
        self.dpa_max = min(self.au, self.today)
        self.window = _day(minus_months(au, 5))  # Q15: events expected in [window, au]
        self.cej = _day(CEJ_START)
        self.defects: dict[str, list[tuple[np.ndarray, np.ndarray, np.ndarray]]] = {
            r: [] for r in RULES}

    # ---- helpers
    def _count(self, eligible: int, rate: float) -> int:
        if eligible <= 0 or rate <= 0:
            return 0
        k = int(self.rng.binomial(eligible, rate))
        if self.n >= 200:
            k = max(k, 1)
        return min(k, eligible)

    def _pick(self, mask: np.ndarray, rate: float | None = None) -> np.ndarray:
        candidates = np.flatnonzero(mask)
        k = self._count(len(candidates), self.rate if rate is None else rate)
        if k == 0:
            return candidates[:0]
        return np.sort(self.rng.choice(candidates, k, replace=False))

    def _births(self, at: np.ndarray, age: np.ndarray) -> np.ndarray:
        hi = _add_years(at, -age)
        lo = _add_years(at, -(age + 1)) + 1
        birth = self.rng.integers(lo + _MARGIN, hi - _MARGIN + 1)
        _, m, d = _ymd(birth)
        return np.where((m == 2) & (d == 29), birth - 1, birth)

    def _young_defect(self, rule: str, idx: np.ndarray) -> None:
        self.grp[idx] = RULES.index(rule) + 1
        keys = np.array(["J:" + str(i) for i in self.ids[idx].tolist()], dtype=object)
        self.defects[rule].append((self.ml[idx], self.ids[idx], keys))

    def run(self) -> None:
        self._young()
        self._identity_defects()
        self._pairs()
        self._unique_identities()
        self._events()
        self._situations()
        self._programmes()
        self._row_defects()
        self._recent_events()
        self._out_of_period_events()
        self._orphans()

    # ---- young people
    def _young(self) -> None:
        rng, n = self.rng, self.n
        sizes = rng.lognormal(0.0, 0.55, len(self.codes))
        self.ml = np.sort(rng.choice(len(self.codes), n, p=sizes / sizes.sum()))
        self.n_orphans = self._count(n, self.rate)
        ids = rng.choice(90_000_000, n + self.n_orphans, replace=False) + 10_000_000
        young_ids = ids[:n]
        self.ids = young_ids[np.lexsort((young_ids, self.ml))]
        self.orphan_ids = np.sort(ids[n:])
        self.grp = np.zeros(n, dtype=np.int8)

        # first reception, then the birth date that gives the drawn age at it
        inside = (rng.random(n) < 0.38) & (self.dpa_max >= self.du)
        span = max(self.dpa_max - self.du + 1, 1)
        within = self.du + (rng.random(n) * span).astype(np.int64)
        back = np.minimum(rng.exponential(550.0, n).astype(np.int64) + 1, 6 * 365)
        before = np.minimum(self.du - back, self.dpa_max)
        self.dpa = np.where(inside, within, before)
        self.anchor = self.dpa.copy()  # what events, situations, programmes start from
        self.age = rng.choice(np.array(AGES), n, p=_weights(AGE_WEIGHTS))
        self.birth = self._births(self.dpa, self.age)

        self.female = rng.random(n) < 0.49
        nf, nh = len(PRENOMS_F), len(PRENOMS_H)
        pf = rng.choice(nf, n, p=_zipf(nf))
        ph = rng.choice(nh, n, p=_zipf(nh)) + nf
        self.prenom = np.where(self.female, pf, ph)
        s = len(NOMS)
        first = rng.choice(s, n, p=_zipf(s, 12.0))
        second = (first + rng.integers(1, s, n)) % s
        double = rng.random(n) < 0.05
        self.nom = np.where(double, s + first * s + second, first)

        # commune pools per mission locale, consistent with its département
        k = 25
        com = np.empty((len(self.codes), k), dtype=object)
        cp = np.empty((len(self.codes), k), dtype=object)
        for m, dept in enumerate(self.depts):
            if dept.startswith("97"):
                suffixes = rng.choice(np.arange(1, 60), k, replace=False)
                com[m] = [f"{dept}{x:02d}" for x in suffixes.tolist()]
                cp[m] = [f"{dept}{x * 10:02d}" for x in rng.integers(0, 10, k).tolist()]
            else:
                suffixes = rng.choice(np.arange(1, 700), k, replace=False)
                prefix = "20" if dept in ("2A", "2B") else dept
                com[m] = [f"{dept}{x:03d}" for x in suffixes.tolist()]
                cp[m] = [f"{prefix}{x * 10:03d}" for x in rng.integers(0, 100, k).tolist()]
        place = rng.choice(k, n, p=_zipf(k, 1.0))
        self.commune = com[self.ml, place]
        self.postal = cp[self.ml, place]

        self.qpv = rng.random(n) < 0.15
        self.zrr = ~self.qpv & (rng.random(n) < 0.10 / 0.85)
        self.niveau = np.array(NIVEAUX, dtype=object)[
            rng.choice(len(NIVEAUX), n, p=_weights(NIVEAU_WEIGHTS))]
        self.logement = rng.choice(len(LOGEMENTS), n, p=_weights(LOGEMENT_WEIGHTS))
        self.permis = rng.random(n) < 0.30
        self.vehicule = np.where(self.permis, rng.random(n) < 0.55, rng.random(n) < 0.02)
        self.rqth = rng.random(n) < 0.05

        # raw text written instead of the computed value (defects)
        self.raw_birth = np.full(n, None, dtype=object)
        self.raw_dpa = np.full(n, None, dtype=object)
        self.raw_sexe = np.full(n, None, dtype=object)
        self.copy_of = np.full(n, -1, dtype=np.int64)

    def _identity_defects(self) -> None:
        """Q01–Q08: one field of the jeunes row is wrong, everything else is right."""
        rng = self.rng
        # Q01 birth date missing or not a real date (the age rules then cannot apply)
        idx = self._pick(self.grp == 0)
        self._young_defect("Q01", idx)
        years = _ymd(self.birth[idx])[0].tolist()
        variant = rng.integers(0, 3, len(idx)).tolist()
        month = rng.choice(["04", "06", "09", "11"], len(idx)).tolist()
        self.raw_birth[idx] = ["" if v == 0 else f"30/02/{y}" if v == 1 else f"31/{m}/{y}"
                               for v, y, m in zip(variant, years, month, strict=True)]
        # Q02 / Q03 under 16 / over 25 at first reception
        idx = self._pick(self.grp == 0)
        self._young_defect("Q02", idx)
        self.birth[idx] = self._births(self.dpa[idx], rng.integers(14, 16, len(idx)))
        idx = self._pick(self.grp == 0)
        self._young_defect("Q03", idx)
        self.birth[idx] = self._births(self.dpa[idx], rng.integers(26, 30, len(idx)))
        # Q04 sex
        idx = self._pick(self.grp == 0)
        self._young_defect("Q04", idx)
        self.raw_sexe[idx] = rng.choice(np.array(["", "X", "?", "I"], dtype=object),
                                        len(idx))
        # Q05 unknown qualification, Q06 old nomenclature
        idx = self._pick(self.grp == 0)
        self._young_defect("Q05", idx)
        self.niveau[idx] = rng.choice(np.array(["", "0", "9", "NC", "?"], dtype=object),
                                      len(idx))
        idx = self._pick(self.grp == 0)
        self._young_defect("Q06", idx)
        self.niveau[idx] = np.array(OLD_NIVEAUX, dtype=object)[
            rng.choice(len(OLD_NIVEAUX), len(idx), p=_weights(OLD_NIVEAU_WEIGHTS))]
        # Q07 commune / postal code
        idx = self._pick(self.grp == 0)
        self._young_defect("Q07", idx)
        variant = rng.integers(0, 5, len(idx))
        foreign = ("13", "33", "44", "59", "62", "69", "75", "20", "971", "974")
        for i, v in zip(idx.tolist(), variant.tolist(), strict=True):
            commune, postal = self.commune[i], self.postal[i]
            if v == 0:
                self.commune[i] = ""
            elif v == 1:
                self.commune[i] = commune[:2] + "X" + commune[3:]
            elif v == 2:
                self.postal[i] = ""
            elif v == 3:
                self.postal[i] = "NC"
            else:
                own = postal[:3] if postal.startswith("97") else postal[:2]
                other = [f for f in foreign if f != own]
                prefix = other[int(rng.integers(0, len(other)))]
                self.postal[i] = prefix + "0" * (5 - len(prefix))
        # Q08 first reception missing, not a date, or in the future / after the period
        idx = self._pick(self.grp == 0)
        self._young_defect("Q08", idx)
        variant = rng.integers(0, 3, len(idx))
        empty, invalid, future = idx[variant == 0], idx[variant == 1], idx[variant == 2]
        self.raw_dpa[empty] = ""
        years = _ymd(self.dpa[invalid])[0].tolist()
        month = rng.choice(["04", "06", "09", "11"], len(invalid)).tolist()
        self.raw_dpa[invalid] = [f"31/{m}/{y}" for y, m in zip(years, month, strict=True)]
        self.dpa[future] = max(self.au, self.today) + rng.integers(1, 91, len(future))
        self.birth[future] = self._births(self.dpa[future], self.age[future])

    def _pairs(self) -> None:
        """Q09: two id_jeune for one identity in one ML; Q10: one identity in two MLs."""
        rng = self.rng
        # Q09: consecutive young people of one ML in a random order
        cand = np.flatnonzero(self.grp == 0)
        cand = cand[rng.permutation(len(cand))]
        cand = cand[np.argsort(self.ml[cand], kind="stable")]
        ml = self.ml[cand]
        starts = np.searchsorted(ml, ml, side="left")
        rank = np.arange(len(cand)) - starts
        counts = np.bincount(ml, minlength=len(self.codes))
        slots = np.flatnonzero((rank % 2 == 0) & (rank + 1 < counts[ml]))
        k = min(self._count(len(cand), self.rate / 2), len(slots))
        chosen = np.sort(rng.choice(slots, k, replace=False)) if k else slots[:0]
        self._pair("Q09", cand[chosen], cand[chosen + 1])

        # Q10: 2k people sorted by ML, i paired with i + k (different MLs unless one ML
        # holds more than half of them: those pairs are dropped)
        cand = np.flatnonzero(self.grp == 0)
        k = min(self._count(len(cand), self.rate / 2), len(cand) // 2)
        a = b = cand[:0]
        if k and len(np.unique(self.ml[cand])) > 1:
            chosen = rng.choice(cand, 2 * k, replace=False)
            chosen = chosen[np.argsort(self.ml[chosen], kind="stable")]
            a, b = chosen[:k], chosen[k:]
            ok = self.ml[a] != self.ml[b]
            a, b = a[ok], b[ok]
            if len(a) == 0:  # one ML took everything: take one pair by hand
                first = chosen[0]
                others = cand[self.ml[cand] != self.ml[first]]
                a = np.array([first])
                b = np.array([others[int(rng.integers(0, len(others)))]])
        self._pair("Q10", a, b)

    def _pair(self, rule: str, a: np.ndarray, b: np.ndarray) -> None:
        """``b`` becomes the same person as ``a``, first received a little later."""
        if len(a) == 0:
            return
        both = np.concatenate([a, b])
        self._young_defect(rule, both)
        self.copy_of[b] = a
        latest = np.minimum.reduce([
            np.full(len(a), self.dpa_max) - self.dpa[a],
            _add_years(self.birth[a], 26) - self.dpa[a] - 5,
            np.full(len(a), 365)])
        shift = (self.rng.random(len(a)) * (np.maximum(latest, 0) + 1)).astype(np.int64)
        self.dpa[b] = self.anchor[b] = self.dpa[a] + shift
        self.birth[b] = self.birth[a]
        self.female[b] = self.female[a]
        if rule == "Q09":  # the same person registered twice: same address too
            for column in (self.commune, self.postal, self.qpv, self.zrr):
                column[b] = column[a]

    def _unique_identities(self) -> None:
        """(nom, prénom, birth) unique in the region; Q01 people: (nom, prénom) unique."""
        rng, s = self.rng, len(NOMS)
        q01 = self.grp == RULES.index("Q01") + 1
        regular = (self.copy_of < 0) & ~q01
        offset = 40_000  # days, keeps the birth part of the key positive
        for _ in range(200):
            pair = self.nom * 512 + self.prenom
            bad = np.zeros(self.n, dtype=bool)
            reg = np.flatnonzero(regular)
            triple = pair[reg] * 131_072 + (self.birth[reg] + offset)
            bad[reg[_repeats(triple)]] = True
            scope = np.flatnonzero(regular | q01)
            _, inverse, counts = np.unique(pair[scope], return_inverse=True,
                                           return_counts=True)
            shared = scope[counts[inverse] > 1]
            bad[shared[q01[shared]]] = True
            if not bad.any():
                break
            k = int(bad.sum())
            first = rng.integers(0, s, k)
            self.nom[bad] = s + first * s + (first + rng.integers(1, s, k)) % s
        else:  # pragma: no cover - 200 rounds of fresh double surnames never all collide
            raise RuntimeError("could not make identities unique")
        b = np.flatnonzero(self.copy_of >= 0)
        self.nom[b] = self.nom[self.copy_of[b]]
        self.prenom[b] = self.prenom[self.copy_of[b]]

    # ---- events, situations, programmes
    def _events(self) -> None:
        rng, n = self.rng, self.n
        e0 = np.maximum(self.du, self.anchor)
        span = self.au - e0 + 1
        share = np.maximum(span / (self.au - self.du + 1), 0.15)
        mean = 12.6 * share / share.mean()
        counts = 1 + rng.negative_binomial(2, 2.0 / (2.0 + mean))
        y = np.repeat(np.arange(n), counts)
        dates = e0[y] + (rng.random(len(y)) * span[y]).astype(np.int64)
        dates = self._weekday(dates, e0[y], self.au)
        # compact dtypes: 4.5 million events at three times a large region
        self.e_y = y.astype(np.int32)
        self.e_date = dates.astype(np.int32)
        self.e_type = rng.choice(len(EVENT_TYPES), len(y),
                                 p=_weights(EVENT_TYPE_WEIGHTS)).astype(np.int8)
        self.e_theme = rng.choice(len(THEMES), len(y), p=_weights(THEME_WEIGHTS)).astype(np.int8)
        self.e_bad = np.zeros(len(y), dtype=np.int8)  # 1: empty, 4/6/9/11: "31/<month>/…"
        self.e_q17 = np.zeros(len(y), dtype=bool)

    def _append_events(self, y: np.ndarray, dates: np.ndarray, kind: np.ndarray,
                       theme: np.ndarray, bad: np.ndarray, q17: bool) -> None:
        parts = {"e_y": (y, np.int32), "e_date": (dates, np.int32), "e_type": (kind, np.int8),
                 "e_theme": (theme, np.int8), "e_bad": (bad, np.int8),
                 "e_q17": (np.full(len(y), q17), bool)}
        for name, (values, dtype) in parts.items():
            setattr(self, name, np.concatenate([getattr(self, name), values.astype(dtype)]))

    def _keep_events(self, index: np.ndarray) -> None:
        for name in _EVENT_FIELDS:
            setattr(self, name, getattr(self, name)[index])

    @staticmethod
    def _weekday(dates: np.ndarray, lo: np.ndarray | int, hi: int) -> np.ndarray:
        dow = (dates + 3) % 7  # 1970-01-01 was a Thursday; Monday = 0
        dates = np.where((dow == 5) & (dates - 1 >= lo), dates - 1, dates)
        return np.where((dow == 6) & (dates + 1 <= hi), dates + 1, dates)

    def _sequence(self, owner: np.ndarray, t0: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Start days drawn in [t0, au] per owner, sorted, at least two days apart."""
        span = self.au - t0[owner] + 1
        start = t0[owner] + (self.rng.random(len(owner)) * span).astype(np.int64)
        order = np.lexsort((start, owner))
        owner, start = owner[order], start[order]
        keep = np.ones(len(owner), dtype=bool)
        keep[1:] = (owner[1:] != owner[:-1]) | (start[1:] - start[:-1] >= 2)
        return owner[keep], start[keep]

    def _ends(self, owner: np.ndarray, start: np.ndarray,
              nominal: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """End of each row: before the next one starts; (end, is_last)."""
        last = _is_last_of_group(owner)
        nxt = np.empty_like(start)
        nxt[:-1] = start[1:]
        nxt[-1:] = _NONE
        gap = self.rng.integers(0, 31, len(start))
        end = np.where(last, nominal, np.maximum(start, np.minimum(nominal, nxt - 1 - gap)))
        return end, last

    def _situations(self) -> None:
        rng = self.rng
        t0 = np.maximum(self.anchor, self.du - 365)
        owner, start = self._sequence(np.repeat(np.arange(self.n),
                                                rng.poisson(2.75, self.n)), t0)
        kind = rng.choice(len(SITUATIONS), len(owner), p=_weights([s[1] for s in SITUATIONS]))
        mean = np.array([s[2] for s in SITUATIONS])[kind]
        dur = np.maximum(rng.gamma(2.0, mean / 2.0).astype(np.int64), 1)
        end, last = self._ends(owner, start, start + dur)
        ongoing = last & np.array([s[3] for s in SITUATIONS])[kind] & (end > self.au)
        self.s_y, self.s_start, self.s_type = owner, start, kind
        self.s_end = np.where(ongoing, _NONE, end)

    def _programme_types(self, start: np.ndarray) -> np.ndarray:
        rng = self.rng
        before = rng.choice(len(DISPOSITIFS), len(start), p=_weights(DISPOSITIF_WEIGHTS_BEFORE))
        after = rng.choice(len(DISPOSITIFS), len(start), p=_weights(DISPOSITIF_WEIGHTS_AFTER))
        return np.where(start < self.cej, before, after)

    def _programme_durations(self, kind: np.ndarray) -> np.ndarray:
        mean = np.array(DISPOSITIF_DURATIONS)[kind]
        return np.maximum(self.rng.gamma(4.0, mean / 4.0).astype(np.int64), 7)

    def _programmes(self) -> None:
        rng = self.rng
        per = rng.choice(4, self.n, p=_weights(PROGRAMME_COUNT_WEIGHTS))
        t0 = np.maximum(self.anchor, self.du - 730)
        self.p_t0 = t0
        owner, start = self._sequence(np.repeat(np.arange(self.n), per), t0)
        kind = self._programme_types(start)
        end, last = self._ends(owner, start, start + self._programme_durations(kind))
        is_open = last & (end > self.au)
        self.p_y, self.p_start, self.p_type = owner, start, kind
        self.p_end = np.where(is_open, _NONE, end)
        self.p_motif = np.where(is_open, -1, rng.choice(len(MOTIFS), len(owner),
                                                        p=_weights(MOTIF_WEIGHTS)))

    def _add_programmes(self, owner: np.ndarray, start: np.ndarray, kind: np.ndarray,
                        end: np.ndarray, motif: np.ndarray) -> None:
        self.p_y = np.concatenate([self.p_y, owner])
        self.p_start = np.concatenate([self.p_start, start])
        self.p_type = np.concatenate([self.p_type, kind])
        self.p_end = np.concatenate([self.p_end, end])
        self.p_motif = np.concatenate([self.p_motif, motif])
        order = np.lexsort((self.p_start, self.p_y))  # keeps "last of its owner" meaningful
        for name in ("p_y", "p_start", "p_type", "p_end", "p_motif"):
            setattr(self, name, getattr(self, name)[order])

    def _open_one_programme(self, people: np.ndarray) -> None:
        """Exactly one open programme for each of ``people`` (their last one, or a new one)."""
        has = np.isin(people, self.p_y)
        last = np.flatnonzero(_is_last_of_group(self.p_y) & np.isin(self.p_y, people))
        self.p_end[last] = _NONE
        self.p_motif[last] = -1
        new = people[~has]
        if len(new):
            t0 = self.p_t0[new]
            start = t0 + (self.rng.random(len(new)) * (self.au - t0 + 1)).astype(np.int64)
            kind = self._programme_types(start)
            self._add_programmes(new, start, kind, np.full(len(new), _NONE),
                                 np.full(len(new), -1))

    def _row_defects(self) -> None:
        """Q11–Q15: breaches in the rows that hang off a young person."""
        rng = self.rng
        ids, ml = self.ids, self.ml
        # the Q10 people keep one open programme each: their follow-ups overlap
        q10 = np.flatnonzero(self.grp == RULES.index("Q10") + 1)
        self._open_one_programme(q10)

        # Q15: open programme, events only before the last five months of the period
        latest = self.window - _MARGIN
        e0 = np.maximum(self.du, self.anchor)
        eligible = (self.grp == 0) & (e0 <= latest - 7)
        if not eligible.any() and latest < self.du:  # period shorter than five months
            eligible = self.grp == 0
        idx = self._pick(eligible)
        self._young_defect("Q15", idx)
        self._open_one_programme(idx)
        moved = np.isin(self.e_y, idx)
        if latest >= self.du:
            lo = e0[self.e_y[moved]]
            self.e_date[moved] = lo + (rng.random(int(moved.sum())) * (latest - lo + 1)
                                       ).astype(np.int64)
        else:
            self._drop_events(moved)
        self.q15 = idx

        # Q12: a second employment overlapping one of the person's employment rows
        employment = np.isin(self.s_type, [SITUATION_TYPES.index(t) for t in EMPLOYMENT])
        has_job = np.zeros(self.n, dtype=bool)
        has_job[self.s_y[employment]] = True
        idx = self._pick((self.grp == 0) & has_job)
        self._young_defect("Q12", idx)
        rows = np.flatnonzero(employment & np.isin(self.s_y, idx))
        rows = rows[_first_per_group(self.s_y[rows], rng)]
        start, end = self.s_start[rows], self.s_end[rows]
        room = np.where(end == _NONE, 60, end - start)
        room = np.minimum(room, self.au - start)
        new_start = start + (rng.random(len(rows)) * (room + 1)).astype(np.int64)
        jobs = np.array([SITUATION_TYPES.index(t) for t in EMPLOYMENT])
        position = np.searchsorted(np.sort(jobs), self.s_type[rows])
        other = np.sort(jobs)[(position + rng.integers(1, len(jobs), len(rows))) % len(jobs)]
        self.s_y = np.concatenate([self.s_y, self.s_y[rows]])
        self.s_start = np.concatenate([self.s_start, new_start])
        self.s_type = np.concatenate([self.s_type, other])
        self.s_end = np.concatenate([self.s_end, new_start + rng.integers(7, 91, len(rows))])

        # Q14: the last programme open as CEJ or PACEA, and a second open one of the same
        has_prog = np.zeros(self.n, dtype=bool)
        has_prog[self.p_y] = True
        idx = self._pick((self.grp == 0) & has_prog)
        self.grp[idx] = RULES.index("Q14") + 1
        last = np.flatnonzero(_is_last_of_group(self.p_y) & np.isin(self.p_y, idx))
        start = self.p_start[last]
        kind = np.where((start > self.cej) & (rng.random(len(last)) < 0.5), _CEJ, _PACEA)
        self.p_type[last] = kind
        self.p_end[last] = _NONE
        self.p_motif[last] = -1
        later = start + 1 + (rng.random(len(last)) * np.minimum(30, self.au - start)
                             ).astype(np.int64)
        second = np.where(start < self.au, later, start - 1)
        owners = self.p_y[last]
        self._add_programmes(owners, second, kind, np.full(len(last), _NONE),
                             np.full(len(last), -1))
        keys = np.array([f"J:{i}:{DISPOSITIFS[k]}" for i, k in
                         zip(ids[owners].tolist(), kind.tolist(), strict=True)], dtype=object)
        self.defects["Q14"].append((ml[owners], ids[owners], keys))

        # Q13: one programme typed CEJ before March 2022 or GARANTIE_JEUNES after
        has_prog = np.zeros(self.n, dtype=bool)
        has_prog[self.p_y] = True
        idx = self._pick((self.grp == 0) & has_prog)
        self.grp[idx] = RULES.index("Q13") + 1
        rows = np.flatnonzero(np.isin(self.p_y, idx))
        rows = rows[_first_per_group(self.p_y[rows], rng)]
        self.p_type[rows] = np.where(self.p_start[rows] >= self.cej, _GJ, _CEJ)
        self.defects["Q13"].append(self._programme_keys(rows))

        # Q11: a closed situation or programme that ends before it starts
        s_closed = np.flatnonzero(self.s_end != _NONE)
        p_closed = np.flatnonzero(self.p_end != _NONE)
        owner = np.concatenate([self.s_y[s_closed], self.p_y[p_closed]])
        has_closed = np.zeros(self.n, dtype=bool)
        has_closed[owner] = True
        idx = self._pick((self.grp == 0) & has_closed)
        self.grp[idx] = RULES.index("Q11") + 1
        cand = np.flatnonzero(np.isin(owner, idx))
        cand = cand[_first_per_group(owner[cand], rng)]
        s_rows = s_closed[cand[cand < len(s_closed)]]
        p_rows = p_closed[cand[cand >= len(s_closed)] - len(s_closed)]
        self.s_end[s_rows] = self.s_start[s_rows] - rng.integers(1, 91, len(s_rows))
        self.p_end[p_rows] = self.p_start[p_rows] - rng.integers(1, 91, len(p_rows))
        s_keys = np.array([f"S:{i}:{d}:{SITUATION_TYPES[t]}" for i, d, t in zip(
            ids[self.s_y[s_rows]].tolist(), _format_days(self.s_start[s_rows], iso=True),
            self.s_type[s_rows].tolist(), strict=True)], dtype=object)
        self.defects["Q11"].append((ml[self.s_y[s_rows]], ids[self.s_y[s_rows]], s_keys))
        self.defects["Q11"].append(self._programme_keys(p_rows))

    def _programme_keys(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        owner = self.p_y[rows]
        keys = np.array([f"D:{i}:{d}:{DISPOSITIFS[k]}" for i, d, k in zip(
            self.ids[owner].tolist(), _format_days(self.p_start[rows], iso=True),
            self.p_type[rows].tolist(), strict=True)], dtype=object)
        return self.ml[owner], self.ids[owner], keys

    def _drop_events(self, mask: np.ndarray) -> None:
        self._keep_events(np.flatnonzero(~mask))

    def _recent_events(self) -> None:
        """Whoever has an open programme (Q15 people aside) has an event in the window."""
        self._keep_events(np.lexsort((self.e_date, self.e_y)))
        need = np.zeros(self.n, dtype=bool)
        need[self.p_y[self.p_end == _NONE]] = True
        need[self.q15] = False
        e0 = np.maximum(self.du, self.anchor)
        lo = np.maximum(self.window + _MARGIN, e0)
        lo = np.where(lo > self.au, np.maximum(self.window, e0), lo)
        recent = (self.e_date >= lo[self.e_y]) & (self.e_date <= self.au)
        has = np.bincount(self.e_y, weights=recent, minlength=self.n) > 0
        fix = np.flatnonzero(need & ~has)
        counts = np.bincount(self.e_y, minlength=self.n)
        last = np.cumsum(counts)[fix] - 1
        if np.any(counts[fix] == 0):  # pragma: no cover - everyone has an event by then
            raise RuntimeError("a followed young person has no event")
        self.e_date[last] = lo[fix] + (self.rng.random(len(fix)) * (self.au - lo[fix] + 1)
                                       ).astype(np.int64)

    def _out_of_period_events(self) -> None:
        """Q17: one more event, dated before or after the period, empty or not a date."""
        rng = self.rng
        idx = self._pick(self.grp == 0)
        self.grp[idx] = RULES.index("Q17") + 1
        k = len(idx)
        variant = rng.integers(0, 4, k)
        date_ = np.where(variant == 0, self.du - rng.integers(1, 400, k),
                         np.where(variant == 1, self.au + rng.integers(1, 91, k),
                                  self.du + (rng.random(k) * (self.au - self.du + 1)
                                             ).astype(np.int64)))
        bad = np.where(variant == 2, 1, np.where(variant == 3, rng.choice([4, 6, 9, 11], k), 0))
        self._append_events(idx, date_, rng.choice(len(EVENT_TYPES), k,
                                                   p=_weights(EVENT_TYPE_WEIGHTS)),
                            rng.choice(len(THEMES), k, p=_weights(THEME_WEIGHTS)), bad, True)

    def _orphans(self) -> None:
        """Q16: rows for id_jeune absent from jeunes.csv (one file each), otherwise clean."""
        rng, k = self.rng, self.n_orphans
        self.o_ml = rng.choice(np.unique(self.ml), k)  # MLs present in jeunes.csv
        person = self.n + np.arange(k)  # owners past the young people's indices
        file = rng.choice(3, k, p=[0.6, 0.25, 0.15])
        # events inside the period
        ev = person[file == 0]
        counts = rng.integers(1, 5, len(ev))
        y = np.repeat(ev, counts)
        dates = self._weekday(self.du + (rng.random(len(y)) * (self.au - self.du + 1)
                                         ).astype(np.int64), self.du, self.au)
        self._append_events(y, dates, rng.choice(len(EVENT_TYPES), len(y)),
                            rng.choice(len(THEMES), len(y)), np.zeros(len(y)), False)
        # one situation, well ordered
        si = person[file == 1]
        start = self.du - 365 + (rng.random(len(si)) * (self.au - self.du + 366)
                                 ).astype(np.int64)
        kind = rng.choice(len(SITUATIONS), len(si), p=_weights([s[1] for s in SITUATIONS]))
        end = start + rng.integers(5, 200, len(si))
        self.s_y = np.concatenate([self.s_y, si])
        self.s_start = np.concatenate([self.s_start, start])
        self.s_type = np.concatenate([self.s_type, kind])
        self.s_end = np.concatenate([self.s_end, end])
        # one closed programme of the right era
        pi = person[file == 2]
        start = self.du - 730 + (rng.random(len(pi)) * (self.au - self.du + 730)
                                 ).astype(np.int64)
        kind = self._programme_types(start)
        end = np.minimum(start + self._programme_durations(kind), self.au)
        self._add_programmes(pi, start, kind, np.maximum(end, start),
                             rng.choice(len(MOTIFS), len(pi), p=_weights(MOTIF_WEIGHTS)))
        stems = np.array(["evenements", "situations", "dispositifs"], dtype=object)[file]
        oid = self.orphan_ids
        keys = np.array([f"O:{s}:{i}" for s, i in zip(stems.tolist(), oid.tolist(),
                                                      strict=True)], dtype=object)
        self.defects["Q16"].append((self.o_ml, oid, keys))

    # ---- output
    def tables(self) -> tuple[dict[str, _Table], dict[str, list[tuple[str, str, str]]]]:
        """The four files, sorted by ML, id_jeune and date, and the defects per rule.

        Text columns are built chunk by chunk while writing: a million-row file never
        exists as a whole in memory as Python strings.
        """
        codes = np.array(self.codes, dtype=object)
        every_ml = np.concatenate([self.ml, self.o_ml])
        every_id = np.concatenate([self.ids, self.orphan_ids])
        id_text = every_id.astype(str).astype(object)

        names = np.array(NOMS, dtype=object)
        s = len(NOMS)
        nom = names[np.where(self.nom < s, self.nom, 0)]
        double = np.flatnonzero(self.nom >= s)
        first, second = np.divmod(self.nom[double] - s, s)
        nom[double] = names[first] + "-" + names[second]
        sexe = np.where(self.female, "F", "H").astype(object)
        given = np.flatnonzero(self.raw_sexe != None)  # noqa: E711 - elementwise on objects
        sexe[given] = self.raw_sexe[given]
        yes_no = np.array(["N", "O"], dtype=object)
        jeunes = [codes[self.ml], id_text[: self.n], nom,
                  np.array(PRENOMS_F + PRENOMS_H, dtype=object)[self.prenom],
                  _date_text(self.birth, self.raw_birth), sexe, self.postal, self.commune,
                  yes_no[self.qpv.astype(int)], yes_no[self.zrr.astype(int)], self.niveau,
                  _date_text(self.dpa, self.raw_dpa),
                  np.array(LOGEMENTS, dtype=object)[self.logement],
                  yes_no[self.permis.astype(int)], yes_no[self.vehicule.astype(int)],
                  yes_no[self.rqth.astype(int)]]

        # one sort key: the person's rank in (ML, id_jeune) order, then the date
        rank = np.empty(len(every_id), dtype=np.int64)
        rank[np.lexsort((every_id, every_ml))] = np.arange(len(every_id))
        first = int(self.e_date.min()) if len(self.e_date) else 0
        span = int(self.e_date.max()) - first + 1 if len(self.e_date) else 1
        key = rank[self.e_y] * span + (self.e_date - first)
        self._keep_events(np.argsort(key, kind="stable"))
        del key
        ey, e_date, e_bad = self.e_y, self.e_date, self.e_bad
        e_type, e_theme = self.e_type, self.e_theme
        lines = np.flatnonzero(self.e_q17)
        q17_text = _event_text(e_date[lines], e_bad[lines])
        kinds = np.array(EVENT_TYPES, dtype=object)[e_type[lines]]
        themes = np.array(THEMES, dtype=object)[e_theme[lines]]
        keys = np.array([f"E:{i}:{d}:{k}:{t}" for i, d, k, t in zip(
            id_text[ey[lines]].tolist(), q17_text.tolist(), kinds.tolist(), themes.tolist(),
            strict=True)], dtype=object)
        q17 = (every_ml[ey[lines]], every_id[ey[lines]], keys)

        def evenements(lo: int, hi: int) -> list[np.ndarray]:
            y = ey[lo:hi]
            return [codes[every_ml[y]], id_text[y], _event_text(e_date[lo:hi], e_bad[lo:hi]),
                    np.array(EVENT_TYPES, dtype=object)[e_type[lo:hi]],
                    np.array(THEMES, dtype=object)[e_theme[lo:hi]]]

        order = np.lexsort((self.s_start, every_id[self.s_y], every_ml[self.s_y]))
        sy, s_type = self.s_y[order], self.s_type[order]
        s_start, s_end = self.s_start[order], self.s_end[order]

        def situations(lo: int, hi: int) -> list[np.ndarray]:
            y = sy[lo:hi]
            return [codes[every_ml[y]], id_text[y],
                    np.array(SITUATION_TYPES, dtype=object)[s_type[lo:hi]],
                    _format_days(s_start[lo:hi]), _format_days(s_end[lo:hi])]

        order = np.lexsort((self.p_start, every_id[self.p_y], every_ml[self.p_y]))
        py, p_type, p_motif = self.p_y[order], self.p_type[order], self.p_motif[order]
        p_start, p_end = self.p_start[order], self.p_end[order]

        def dispositifs(lo: int, hi: int) -> list[np.ndarray]:
            y = py[lo:hi]
            return [codes[every_ml[y]], id_text[y],
                    np.array(DISPOSITIFS, dtype=object)[p_type[lo:hi]],
                    _format_days(p_start[lo:hi]), _format_days(p_end[lo:hi]),
                    np.array(("", *MOTIFS), dtype=object)[p_motif[lo:hi] + 1]]

        defects: dict[str, list[tuple[str, str, str]]] = {}
        for rule in RULES:
            rows: list[tuple[str, str, str]] = []
            for ml, ids, keys in self.defects[rule] + ([q17] if rule == "Q17" else []):
                rows.extend(zip(codes[ml].tolist(), ids.astype(str).tolist(), keys.tolist(),
                                strict=True))
            defects[rule] = sorted(rows)
        tables = {
            "jeunes": _Table(self.n, lambda lo, hi: [c[lo:hi] for c in jeunes]),
            "evenements": _Table(len(ey), evenements),
            "situations": _Table(len(sy), situations),
            "dispositifs": _Table(len(py), dispositifs),
        }
        return tables, defects


@dataclass(frozen=True)
class _Table:
    rows: int
    columns: Callable[[int, int], list[np.ndarray]]  # (first row, end row) → text columns


def _date_text(values: np.ndarray, raw: np.ndarray) -> np.ndarray:
    """Formatted dates, except where a raw text (a defect) is to be written instead."""
    out = _format_days(values)
    given = np.flatnonzero(raw != None)  # noqa: E711 - elementwise on objects
    out[given] = raw[given]
    return out


def _event_text(days: np.ndarray, bad: np.ndarray) -> np.ndarray:
    """Event dates as written: empty, or an impossible 31st, where a defect says so."""
    out = _format_days(days)
    out[bad == 1] = ""
    wrong = np.flatnonzero(bad > 1)
    years = _ymd(days[wrong])[0].tolist()
    out[wrong] = [f"31/{m:02d}/{y}" for m, y in zip(bad[wrong].tolist(), years, strict=True)]
    return out


def _write_table(fh: IO[bytes], header: tuple[str, ...], table: _Table) -> None:
    fh.write((";".join(header) + "\n").encode("utf-8"))
    for lo in range(0, table.rows, _CHUNK):
        columns = table.columns(lo, min(lo + _CHUNK, table.rows))
        rows = zip(*(c.tolist() for c in columns), strict=True)
        fh.write(("\n".join(map(";".join, rows)) + "\n").encode("utf-8"))


def _check_names() -> None:
    """The name lists stay distinct once normalised like the pseudonym does."""
    for names in (NOMS, PRENOMS_F + PRENOMS_H):
        seen = [_normalised(n) for n in names]
        if len(set(seen)) != len(seen) or not all(seen):
            raise AssertionError("name list with duplicates once normalised")
        if any(c in n for n in names for c in ';"\r\n'):
            raise AssertionError("name with a CSV special character")


_check_names()
