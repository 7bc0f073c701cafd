"""Demo tables of the programme régional d'animation: team, copil meetings, 2025 actions.

Built from the examples of the seed documents (QVT/RPS clusters, the directors'
working group, the démarche de progrès, the observatory and its press conference,
the regional training programme, parrainage, the Parcours data-entry charter…).
Dates are ISO strings, money whole euros, time days; ``seeds.programme_demo`` turns
them into ``date`` and ``Decimal``. The 2026 actions live in ``programme_data_2026``.
"""

from __future__ import annotations

from typing import Any

# key -> (full name, function, contract ETP, status, seconded by, start date)
TEAM: dict[str, tuple[str, str, str, str, str, str]] = {
    "dir": ("Hélène Darrieux", "Directrice — coordinatrice de l'animation régionale", "1.00",
            "salarie", "", "2016-09-01"),
    "cm": ("Thomas Bellocq", "Chargé de mission professionnalisation et outils", "0.80",
           "salarie", "", "2019-03-04"),
    "mad": ("Nadia Ferrand", "Chargée d'études observatoire et système d'information", "0.50",
            "mis_a_disposition", "Mission locale de Bordeaux", "2022-01-03"),
}

#: Daily cost of each member, to value staff time in the "personnel" budget lines.
DAY_RATE = {"dir": 380, "cm": 290, "mad": 260}
PERSONNEL_LABEL = "Temps de l'équipe régionale (valorisé)"

PARTICIPANTS = [
    "ARML Nouvelle-Aquitaine — Jean-Pierre Lassalle, président",
    "DREETS Nouvelle-Aquitaine — Bertrand Roux",
    "Conseil régional Nouvelle-Aquitaine — Marion Castaing",
    "France Travail Nouvelle-Aquitaine — Sylvie Andrieu",
    "Conseil départemental de la Gironde — Patrick Lafon",
    "Conseil départemental des Pyrénées-Atlantiques — Maite Irigoyen",
    "ARML Nouvelle-Aquitaine — Hélène Darrieux, directrice",
]
PLACE = "Bordeaux — Hôtel de Région, salle Garonne"


def act(obj: str, title: str, pilot: str, start: str, end: str, status: str, *,
        desc: str = "", reason: str = "", partners: tuple[str, ...] = (),
        mls: tuple[str, ...] = (), days: tuple = (), budget: tuple = (),
        deliv: tuple = (), ind: tuple = (), out_of_year: str = "") -> dict[str, Any]:
    """One action: days (member, planned, actual), budget (category, label, planned, actual),
    deliv (title, due, done), ind (name, unit, target, achieved)."""
    return {"obj": obj, "title": title, "pilot": pilot, "start": start, "end": end,
            "status": status, "desc": desc, "reason": reason, "partners": list(partners),
            "mls": list(mls), "days": days, "budget": budget, "deliv": deliv, "ind": ind,
            "out_of_year": out_of_year}


DREETS = "DREETS Nouvelle-Aquitaine"
REGION = "Conseil régional Nouvelle-Aquitaine"
FT = "France Travail"
OPCO = "Uniformation / Cohésion sociale OPCO"
ARACT = "Aract Nouvelle-Aquitaine"

# ---------------------------------------------------------------- 2025 (clôturé)
ACTIONS_2025: list[dict[str, Any]] = [
    act("1.1", "Animation régionale du parrainage", "cm", "2025-01-13", "2025-12-12",
        "realisee",
        desc="Coordination des réseaux de parrainage : formation des parrains, journée "
             "d'échanges des référents, réédition du kit du parrain.",
        partners=(DREETS, REGION, "Clubs d'entreprises FACE"),
        mls=("33006", "64002", "24002", "87001", "17001", "86001"),
        days=(("cm", 14, 15), ("dir", 3, 2)),
        budget=(("prestations", "Formation des parrains", 6500, 6180),
                ("communication", "Kit du parrain, kakémonos", 3800, 3650),
                ("deplacements", "", 1500, 1320)),
        deliv=(("Kit du parrain réédité", "2025-04-30", "2025-04-24"),
               ("Journée régionale des référents parrainage", "2025-10-16", "2025-10-16")),
        ind=(("Jeunes parrainés", "jeunes", 450, 471), ("Parrains formés", "parrains", 60, 52))),
    act("1.1", "Opération de recrutement coordonnée — logistique et transport", "cm",
        "2025-03-03", "2025-06-27", "realisee",
        desc="Présélection de jeunes par les missions locales de la métropole pour les "
             "recrutements d'une plateforme logistique.",
        partners=(FT, "Fédération régionale du transport et de la logistique"),
        mls=("33001", "33002", "33003", "33004"),
        days=(("cm", 8, 9), ("dir", 2, 2)),
        budget=(("autres", "Location de salle, job dating", 1200, 1080),
                ("communication", "Affiches et réseaux sociaux", 900, 860)),
        deliv=(("Bilan de l'opération", "2025-07-11", "2025-07-09"),),
        ind=(("Jeunes présélectionnés", "jeunes", 60, 63), ("Jeunes recrutés", "jeunes", 15, 10))),
    act("1.2", "Accès des jeunes à la formation : articulation avec le SPRO", "dir",
        "2025-02-03", "2025-11-28", "realisee",
        desc="Référents formation dans chaque mission locale, relations avec la Région et "
             "l'Éducation nationale sur l'accès au programme régional de formation.",
        partners=(REGION, "Rectorat de Bordeaux", "Cap Métiers Nouvelle-Aquitaine"),
        days=(("dir", 8, 7), ("mad", 4, 4)),
        budget=(("deplacements", "", 900, 780),),
        ind=(("Missions locales ayant un référent formation", "missions locales", 39, 36),)),
    act("1.3", "Réseau des psychologues en mission locale", "cm", "2025-01-13", "2025-12-15",
        "realisee",
        desc="Animation du réseau régional des psychologues : supervision, échanges de "
             "pratiques, suivi de l'activité.",
        partners=("ARS Nouvelle-Aquitaine", "CPAM de la Gironde"),
        mls=("24001", "87001", "16001", "79001", "19001"),
        days=(("cm", 8, 8), ("dir", 3, 3)),
        budget=(("prestations", "Supervision des psychologues", 7200, 7200),
                ("deplacements", "", 600, 540)),
        ind=(("Jeunes reçus par un psychologue", "jeunes", 650, 702),)),
    act("1.3", "Partenariat logement des jeunes (observatoire de l'habitat)", "mad",
        "2025-04-01", "2025-12-19", "abandonnee",
        reason="Le partenaire régional a suspendu son projet d'observatoire faute de "
               "financement ; abandon acté par le copil du 19 juin 2025.",
        partners=("URHAJ Nouvelle-Aquitaine",),
        days=(("mad", 4, 2),),
        budget=(("prestations", "Étude partagée", 3000, 0),)),
    act("2.1", "Programme régional de formation 2025", "cm", "2025-01-06", "2025-12-19",
        "realisee",
        desc="Catalogue mutualisé, achat de formations, inscriptions et évaluation.",
        partners=(OPCO, REGION),
        mls=("33005", "64001", "33001", "40001", "47001", "86001", "87001", "16001", "24001",
             "17002"),
        days=(("cm", 40, 42), ("dir", 8, 7)),
        budget=(("prestations", "Organismes de formation (marché mutualisé)", 42000, 40850),
                ("deplacements", "Formateurs", 2500, 2310),
                ("autres", "Salles et restauration", 6000, 5720)),
        deliv=(("Catalogue régional 2025", "2025-01-31", "2025-01-28"),
               ("Bilan annuel de la formation", "2025-12-19", "2025-12-17")),
        ind=(("Jours de formation", "jours", 65, 69), ("Salariés formés", "salariés", 260, 274))),
    act("2.1", "Démarche de progrès : cadrage et états des lieux", "dir", "2025-02-03",
        "2025-11-28", "realisee",
        desc="Avec la DREETS et la Région : cadrage, entretiens président–directeur, état "
             "des lieux des conditions d'exercice de 11 missions locales volontaires.",
        partners=(DREETS, REGION, "Cabinet Amnyos"),
        mls=("33005", "33006", "33007", "33008", "24002", "24003", "40002", "47002", "47003",
             "64003", "64004"),
        days=(("dir", 22, 24), ("cm", 6, 6)),
        budget=(("prestations", "Cabinet d'appui (cadrage, entretiens)", 24000, 24000),
                ("deplacements", "", 2200, 2470)),
        deliv=(("Support de présentation de la démarche", "2025-03-14", "2025-03-12"),
               ("11 états des lieux validés par les directeurs", "2025-09-30", "2025-10-10"),
               ("Synthèse régionale des états des lieux", "2025-11-28", "2025-11-26")),
        ind=(("États des lieux réalisés", "états des lieux", 11, 11),)),
    act("2.1", "Groupe de travail « professionnalisation des directeurs »", "dir",
        "2025-03-01", "2025-11-21", "realisee",
        desc="Besoins des directeurs (pilotage, gestion, relations aux financeurs) et "
             "préconisations : parcours management et GRH, co-développement entre pairs.",
        partners=(OPCO, "ANDML"),
        mls=("33001", "64001", "87001", "17001", "86002"),
        days=(("dir", 9, 9), ("cm", 4, 4)),
        budget=(("deplacements", "", 800, 640),),
        deliv=(("Synthèse du GT (7 préconisations)", "2025-11-21", "2025-11-20"),),
        ind=(("Directeurs participants", "directeurs", 8, 4),)),
    act("2.2", "Conseil technique des directeurs", "dir", "2025-01-16", "2025-12-11",
        "realisee",
        desc="Une journée toutes les 6 semaines : veille, bonnes pratiques, dialogue avec "
             "l'État et la Région.",
        partners=(DREETS, REGION),
        days=(("dir", 26, 27), ("cm", 6, 6)),
        budget=(("autres", "Salles et restauration", 4800, 4620),
                ("deplacements", "", 1800, 1690)),
        ind=(("Réunions tenues", "réunions", 8, 8),
             ("Taux de présence des directeurs", "%", 75, 71))),
    act("2.2", "Cluster QVT / RPS : 7 missions locales, 3 sessions", "cm", "2025-06-02",
        "2025-12-19", "realisee",
        desc="Action collective avec l'Aract : 3 sessions de formation et un travail "
             "inter-sessions dans chaque structure (un binôme direction–salarié par mission "
             "locale) pour engager des expérimentations sur l'organisation du travail.",
        partners=(ARACT, OPCO, "CARSAT Aquitaine"),
        mls=("33005", "33009", "24001", "40001", "47001", "79002", "86003"),
        days=(("cm", 22, 23), ("dir", 5, 5)),
        budget=(("prestations", "Intervention Aract (3 sessions)", 13500, 13500),
                ("deplacements", "", 1900, 2080),
                ("autres", "Salles et restauration", 1500, 1430)),
        deliv=(("Session 1 — diagnostic partagé", "2025-07-08", "2025-07-08"),
               ("Session 2 — plans d'action", "2025-10-02", "2025-10-02"),
               ("Session 3 — expérimentations", "2025-12-04", "2025-12-04"),
               ("Bilan du cluster", "2025-12-19", "2025-12-18")),
        ind=(("Missions locales engagées", "missions locales", 7, 7),
             ("Expérimentations engagées", "expérimentations", 7, 6))),
    act("2.2", "Rencontres régionales des conseillers", "cm", "2025-09-01", "2025-11-28",
        "reportee",
        reason="Reportées à 2026 à la demande du conseil technique des directeurs : "
               "calendrier saturé par la mise en place du Réseau pour l'emploi.",
        days=(("cm", 6, 1),),
        budget=(("autres", "Lieu et restauration", 5000, 0),)),
    act("2.3", "Appui au système d'information Parcours / i-milo", "mad", "2025-01-06",
        "2025-12-19", "realisee",
        desc="Assistance de premier niveau, diffusion des évolutions, formation des référents.",
        partners=("GIP Parcours",),
        days=(("mad", 30, 31), ("cm", 8, 8)),
        budget=(("prestations", "Assistance et connexions mutualisées", 9000, 8760),),
        ind=(("Demandes d'assistance traitées", "demandes", 320, 356),)),
    act("2.3", "Appui aux dossiers de financement (État, FSE+, Région)", "dir", "2025-01-06",
        "2025-10-31", "realisee",
        partners=(DREETS, REGION),
        mls=("64001", "23001", "19002"),
        days=(("dir", 12, 11),),
        ind=(("Dossiers accompagnés", "dossiers", 12, 14),)),
    act("2.4", "Plan de communication régional", "cm", "2025-01-06", "2025-12-19",
        "realisee",
        desc="Site du réseau, lettre d'information, rapport d'activité régional.",
        days=(("cm", 14, 13), ("dir", 4, 4)),
        budget=(("communication", "Refonte du site du réseau", 8000, 8400),
                ("communication", "Rapport d'activité imprimé", 3500, 3320)),
        deliv=(("Nouveau site en ligne", "2025-05-30", "2025-06-12"),),
        ind=(("Lettres d'information", "numéros", 10, 9),)),
    act("2.4", "Conférence de presse de l'observatoire", "dir", "2025-09-01", "2025-10-10",
        "realisee",
        desc="Présentation à la presse des caractéristiques des jeunes accompagnés, avec un "
             "label visuel « Observatoire des jeunes en Nouvelle-Aquitaine ».",
        partners=(DREETS, REGION, "Agence Mascaret (communication)"),
        days=(("dir", 5, 5), ("mad", 6, 7)),
        budget=(("communication", "Agence : label visuel et dossier de presse", 5500, 5500),
                ("autres", "Salle de presse", 800, 650)),
        deliv=(("Dossier de presse", "2025-10-03", "2025-10-02"),),
        ind=(("Journalistes présents", "journalistes", 15, 18),)),
    act("3.1", "Préparation et suivi du comité de pilotage", "dir", "2025-01-06", "2025-12-19",
        "realisee",
        desc="Ordre du jour, dossiers, relevés de décisions et suivi de leur mise en œuvre.",
        partners=(DREETS, REGION, "Conseils départementaux"),
        days=(("dir", 14, 15), ("mad", 3, 3)),
        budget=(("deplacements", "", 700, 610),),
        ind=(("Réunions du copil", "réunions", 3, 3),)),
    act("3.1", "Renouvellement du protocole régional", "dir", "2025-05-05", "2025-12-19",
        "reportee",
        reason="Reporté à 2026 dans l'attente du nouveau cadre national des conventions "
               "pluriannuelles d'objectifs.",
        partners=(DREETS, REGION, "Conseils départementaux"),
        days=(("dir", 6, 2),),
        budget=(("autres", "Frais de signature", 500, 0),)),
    act("3.2", "Tableaux de bord et dialogue de gestion", "mad", "2025-01-06", "2025-06-30",
        "realisee",
        desc="Tableaux de bord par mission locale pour le dialogue de gestion avec l'État.",
        partners=(DREETS,),
        days=(("mad", 24, 25), ("dir", 4, 4)),
        deliv=(("Tableaux de bord 2024 diffusés", "2025-03-31", "2025-03-28"),),
        ind=(("Tableaux de bord produits", "tableaux", 39, 39),)),
    act("3.3", "Observatoire régional des parcours des jeunes", "mad", "2025-01-06",
        "2025-09-30", "realisee",
        desc="Administration de l'entrepôt régional et publication annuelle.",
        partners=(DREETS, REGION, "Insee Nouvelle-Aquitaine"),
        days=(("mad", 20, 21), ("cm", 4, 3)),
        budget=(("communication", "Mise en page et impression", 2800, 2650),),
        deliv=(("Publication de l'observatoire 2024", "2025-09-15", "2025-09-12"),),
        ind=(("Jeunes couverts par l'observatoire", "jeunes", 98000, 101450),)),
    act("3.3", "Charte régionale de saisie Parcours : actualisation", "mad", "2025-02-03",
        "2025-11-28", "realisee",
        desc="Mise à jour des règles de saisie avec les référents SI et signature par les "
             "directeurs.",
        mls=("33005", "33002", "24004", "16002"),
        days=(("mad", 10, 11), ("cm", 6, 6)),
        budget=(("autres", "Réunions des référents", 900, 840),),
        deliv=(("Charte de saisie v3 diffusée", "2025-06-30", "2025-06-27"),),
        ind=(("Missions locales signataires de la charte", "missions locales", 39, 35),)),
]

# ---------------------------------------------------------------- copil meetings
# (programme year, date, notes, transitions it records, decisions (text, action title|None))
MEETINGS: list[dict[str, Any]] = [
    {"year": 2025, "date": "2024-12-12",
     "notes": "Présentation du projet de programme 2025 et de son budget.",
     "decisions": []},
    {"year": 2025, "date": "2025-06-19",
     "notes": "Revue de mi-année : avancement, actions en difficulté.",
     "decisions": [
         ("Abandon du partenariat logement : le partenaire suspend son observatoire.",
          "Partenariat logement des jeunes (observatoire de l'habitat)"),
         ("Le cluster QVT démarre en juin avec 7 missions locales volontaires.",
          "Cluster QVT / RPS : 7 missions locales, 3 sessions")]},
    {"year": 2025, "date": "2026-02-05",
     "notes": "Bilan 2025 : bilan qualitatif, bilan financier, indicateurs.",
     "decisions": [
         ("Bilan 2025 approuvé ; les rencontres des conseillers et le protocole sont "
          "reportés au programme 2026.", None)]},
    {"year": 2026, "date": "2025-12-11",
     "notes": "Présentation du projet de programme 2026, suites du bilan intermédiaire 2025.",
     "decisions": []},
    {"year": 2026, "date": "2026-06-18",
     "notes": "Revue de mi-année : avancement, avenants, actions reportées.",
     "decisions": [
         ("Le séminaire des présidents et directeurs est reporté au premier trimestre 2027.",
          "Séminaire régional des présidents et directeurs"),
         ("Avenant validé : appui au déploiement du Réseau pour l'emploi.",
          "Appui au déploiement du Réseau pour l'emploi"),
         ("Conférence de presse de l'observatoire décalée au 3 décembre 2026.",
          "Conférence de presse de l'observatoire 2026")]},
    {"year": 2026, "date": "2026-12-10",
     "notes": "Ordre du jour : bilan provisoire 2026, projet de programme 2027.",
     "decisions": []},
]
