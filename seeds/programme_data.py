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
            "mis_a_disposition", "France Travail Nouvelle-Aquitaine", "2022-01-03"),
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
        desc="L'équipe régionale coordonne les réseaux de parrainage de six missions locales, avec "
             "la DREETS, la Région et les clubs d'entreprises FACE. Elle organise la formation des "
             "parrains bénévoles, réédite le kit du parrain et réunit les référents parrainage "
             "lors d'une journée régionale d'échanges. Résultats attendus : 450 jeunes parrainés, "
             "60 parrains formés et un suivi partagé des sorties vers l'emploi.",
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
        desc="Les quatre missions locales de la métropole bordelaise présélectionnent des jeunes "
             "pour les recrutements d'une plateforme logistique, avec France Travail et la "
             "fédération régionale du transport et de la logistique. L'ARML coordonne le "
             "calendrier, les informations collectives et un job dating commun. Un bilan de "
             "l'opération mesure les présélections et les embauches effectives.",
        partners=(FT, "Fédération régionale du transport et de la logistique"),
        mls=("33001", "33002", "33003", "33004"),
        days=(("cm", 8, 9), ("dir", 2, 2)),
        budget=(("autres", "Location de salle, job dating", 1200, 1080),
                ("communication", "Affiches et réseaux sociaux", 900, 860)),
        deliv=(("Bilan de l'opération", "2025-07-11", "2025-07-09"),),
        ind=(("Jeunes présélectionnés", "jeunes", 60, 63), ("Jeunes recrutés", "jeunes", 15, 10))),
    act("1.2", "Accès des jeunes à la formation : articulation avec le SPRO", "dir",
        "2025-02-03", "2025-11-28", "realisee",
        desc="L'animation régionale structure un réseau de référents formation dans les missions "
             "locales et fait le lien avec la Région, le Rectorat et Cap Métiers sur l'accès des "
             "jeunes au programme régional de formation. Elle relaie les calendriers d'entrée en "
             "formation, fait remonter les difficultés de prescription et participe aux instances "
             "du service public régional de l'orientation. L'objectif est un référent formation "
             "identifié dans chacune des 39 missions locales.",
        partners=(REGION, "Rectorat de Bordeaux", "Cap Métiers Nouvelle-Aquitaine"),
        days=(("dir", 8, 7), ("mad", 4, 4)),
        budget=(("deplacements", "", 900, 780),),
        ind=(("Missions locales ayant un référent formation", "missions locales", 39, 36),)),
    act("1.3", "Réseau des psychologues en mission locale", "cm", "2025-01-13", "2025-12-15",
        "realisee",
        desc="Le réseau régional des psychologues intervenant en mission locale se réunit "
             "plusieurs fois par an pour des échanges de pratiques et des séances de supervision, "
             "avec l'appui de l'ARS et de la CPAM de la Gironde. L'équipe régionale organise les "
             "rencontres, suit l'activité des psychologues et capitalise les modalités "
             "d'orientation des jeunes en souffrance psychique. Le suivi porte notamment sur le "
             "nombre de jeunes reçus.",
        partners=("ARS Nouvelle-Aquitaine", "CPAM de la Gironde"),
        mls=("24001", "87001", "16001", "79001", "19001"),
        days=(("cm", 8, 8), ("dir", 3, 3)),
        budget=(("prestations", "Supervision des psychologues", 7200, 7200),
                ("deplacements", "", 600, 540)),
        ind=(("Jeunes reçus par un psychologue", "jeunes", 650, 702),)),
    act("1.3", "Partenariat logement des jeunes (observatoire de l'habitat)", "mad",
        "2025-04-01", "2025-12-19", "abandonnee",
        desc="Étude partagée avec l'URHAJ Nouvelle-Aquitaine sur les besoins de logement des "
             "jeunes accompagnés, en croisant les données de l'observatoire régional des parcours "
             "et celles des foyers de jeunes travailleurs. L'action devait aboutir à une note "
             "commune à destination des financeurs et à des pistes de coopération locale entre "
             "missions locales et résidences habitat jeunes.",
        reason="Le partenaire régional a suspendu son projet d'observatoire faute de "
               "financement ; abandon acté par le copil du 19 juin 2025.",
        partners=("URHAJ Nouvelle-Aquitaine",),
        days=(("mad", 4, 2),),
        budget=(("prestations", "Étude partagée", 3000, 0),)),
    act("2.1", "Programme régional de formation 2025", "cm", "2025-01-06", "2025-12-19",
        "realisee",
        desc="Le programme régional de formation mutualisé décline les priorités de la branche et "
             "du réseau en un catalogue commun, construit avec les missions locales et financé "
             "avec l'OPCO et la Région. L'équipe régionale achète les formations dans le cadre "
             "d'un marché mutualisé, gère les inscriptions et la logistique des sessions, puis "
             "évalue la satisfaction et les acquis. Un bilan annuel rend compte des jours de "
             "formation et des salariés formés.",
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
        desc="Avec la DREETS et la Région, l'ARML engage une démarche de progrès auprès de 11 "
             "missions locales volontaires, avec l'appui du cabinet Amnyos. Après une phase de "
             "cadrage et une présentation distincte aux présidents et aux directeurs, le cabinet "
             "conduit une étude documentaire et des entretiens avec le binôme président–directeur. "
             "Chaque structure reçoit un état des lieux de ses conditions d'exercice validé par "
             "son directeur, et une synthèse régionale dégage les bonnes pratiques et les freins "
             "communs.",
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
        desc="Un groupe de directeurs volontaires, animé par la directrice de l'ARML avec l'OPCO "
             "et l'ANDML, analyse les besoins des directeurs en pilotage, gestion et relations aux "
             "financeurs. Les réunions alternent témoignages, apports extérieurs et repérage de "
             "l'offre de formation existante. La synthèse du groupe formule des préconisations, "
             "dont un parcours management et GRH et un groupe de co-développement entre pairs.",
        partners=(OPCO, "ANDML"),
        mls=("33001", "64001", "87001", "17001", "86002"),
        days=(("dir", 9, 9), ("cm", 4, 4)),
        budget=(("deplacements", "", 800, 640),),
        deliv=(("Synthèse du GT (7 préconisations)", "2025-11-21", "2025-11-20"),),
        ind=(("Directeurs participants", "directeurs", 8, 4),)),
    act("2.2", "Conseil technique des directeurs", "dir", "2025-01-16", "2025-12-11",
        "realisee",
        desc="Le conseil technique réunit les directeurs des missions locales une journée toutes "
             "les six semaines, sous l'animation de l'équipe régionale. Il assure la veille sur "
             "les dispositifs, l'échange de bonnes pratiques et la préparation des positions du "
             "réseau dans le dialogue avec l'État et la Région. Un relevé de conclusions est "
             "diffusé à l'ensemble des directeurs après chaque séance.",
        partners=(DREETS, REGION),
        days=(("dir", 26, 27), ("cm", 6, 6)),
        budget=(("autres", "Salles et restauration", 4800, 4620),
                ("deplacements", "", 1800, 1690)),
        ind=(("Réunions tenues", "réunions", 8, 8),
             ("Taux de présence des directeurs", "%", 75, 71))),
    act("2.2", "Cluster QVT / RPS : 7 missions locales, 3 sessions", "cm", "2025-06-02",
        "2025-12-19", "realisee",
        desc="Action collective conduite avec l'Aract pour 7 missions locales volontaires : trois "
             "sessions de formation-action et un travail inter-sessions dans chaque structure, "
             "porté par un binôme direction–salarié. Les binômes réalisent un diagnostic partagé "
             "des facteurs de risques psychosociaux (charge de travail, exigences émotionnelles, "
             "sens du travail), puis élaborent un plan d'action. Chaque mission locale engage une "
             "expérimentation sur l'organisation du travail, capitalisée dans le bilan du cluster.",
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
        desc="Deux journées régionales destinées à réunir les conseillers des missions locales "
             "autour d'ateliers d'échanges de pratiques et d'interventions extérieures. Le "
             "programme devait être construit avec un groupe de conseillers et validé par le "
             "conseil technique des directeurs.",
        reason="Reportées à 2026 à la demande du conseil technique des directeurs : "
               "calendrier saturé par la mise en place du Réseau pour l'emploi.",
        days=(("cm", 6, 1),),
        budget=(("autres", "Lieu et restauration", 5000, 0),)),
    act("2.3", "Appui au système d'information Parcours / i-milo", "mad", "2025-01-06",
        "2025-12-19", "realisee",
        desc="L'équipe régionale assure l'assistance de premier niveau des utilisateurs d'i-milo "
             "dans les missions locales et transmet au GIP Parcours les demandes de second niveau. "
             "Elle diffuse les évolutions de l'application, anime le réseau des référents SI et "
             "les forme aux nouvelles fonctionnalités. Les coûts de connexion et d'assistance sont "
             "mutualisés à l'échelle régionale.",
        partners=("GIP Parcours",),
        days=(("mad", 30, 31), ("cm", 8, 8)),
        budget=(("prestations", "Assistance et connexions mutualisées", 9000, 8760),),
        ind=(("Demandes d'assistance traitées", "demandes", 320, 356),)),
    act("2.3", "Appui aux dossiers de financement des missions locales", "dir", "2025-01-06",
        "2025-10-31", "realisee",
        desc="La directrice appuie les missions locales qui le demandent dans le montage de leurs "
             "dossiers de financement : convention pluriannuelle d'objectifs avec l'État, demandes "
             "FSE+ et subventions régionales. L'appui porte sur la lecture des cahiers des "
             "charges, la construction des budgets et des indicateurs et la préparation des "
             "justificatifs. Les petites structures rurales sont prioritaires.",
        partners=(DREETS, REGION),
        mls=("64001", "23001", "19002"),
        days=(("dir", 12, 11),),
        ind=(("Dossiers accompagnés", "dossiers", 12, 14),)),
    act("2.4", "Plan de communication régional", "cm", "2025-01-06", "2025-12-19",
        "realisee",
        desc="Le plan de communication valorise l'action du réseau auprès des partenaires, des "
             "élus et du grand public. Il comprend la refonte du site du réseau, une lettre "
             "d'information diffusée aux missions locales et aux partenaires, et l'édition du "
             "rapport d'activité régional. Les contenus sont alimentés par les missions locales et "
             "par l'observatoire.",
        days=(("cm", 14, 13), ("dir", 4, 4)),
        budget=(("communication", "Refonte du site du réseau", 8000, 8400),
                ("communication", "Rapport d'activité imprimé", 3500, 3320)),
        deliv=(("Nouveau site en ligne", "2025-05-30", "2025-06-12"),),
        ind=(("Lettres d'information", "numéros", 10, 9),)),
    act("2.4", "Conférence de presse de l'observatoire", "dir", "2025-09-01", "2025-10-10",
        "realisee",
        desc="Présentation à la presse régionale des caractéristiques des jeunes accompagnés par "
             "les missions locales, à partir des données de l'observatoire, en présence de la "
             "DREETS et de la Région. Une agence de communication crée le label visuel « "
             "Observatoire des jeunes en Nouvelle-Aquitaine » et le dossier de presse. L'opération "
             "vise des retombées dans la presse régionale et une meilleure visibilité du réseau.",
        partners=(DREETS, REGION, "Agence Mascaret (communication)"),
        days=(("dir", 5, 5), ("mad", 6, 7)),
        budget=(("communication", "Agence : label visuel et dossier de presse", 5500, 5500),
                ("autres", "Salle de presse", 800, 650)),
        deliv=(("Dossier de presse", "2025-10-03", "2025-10-02"),),
        ind=(("Journalistes présents", "journalistes", 15, 18),)),
    act("3.1", "Préparation et suivi du comité de pilotage", "dir", "2025-01-06", "2025-12-19",
        "realisee",
        desc="L'équipe régionale prépare les réunions du comité de pilotage présidé par le "
             "président de l'ARML : ordre du jour, dossiers, état d'avancement du programme et "
             "bilans. Elle rédige les relevés de décisions et suit leur mise en œuvre auprès des "
             "signataires du protocole. Elle assure ainsi l'interface entre l'État, la Région, les "
             "départements et le réseau.",
        partners=(DREETS, REGION, "Conseils départementaux"),
        days=(("dir", 14, 15), ("mad", 3, 3)),
        budget=(("deplacements", "", 700, 610),),
        ind=(("Réunions du copil", "réunions", 3, 3),)),
    act("3.1", "Renouvellement du protocole régional", "dir", "2025-05-05", "2025-12-19",
        "reportee",
        desc="Préparation du renouvellement du protocole régional qui organise le pilotage de "
             "l'animation régionale entre l'État, la Région, les conseils départementaux et "
             "l'ARML. L'action prévoyait une concertation avec les signataires, la rédaction d'un "
             "projet de texte et sa signature en fin d'année.",
        reason="Reporté à 2026 dans l'attente du nouveau cadre national des conventions "
               "pluriannuelles d'objectifs.",
        partners=(DREETS, REGION, "Conseils départementaux"),
        days=(("dir", 6, 2),),
        budget=(("autres", "Frais de signature", 500, 0),)),
    act("3.2", "Tableaux de bord et dialogue de gestion", "mad", "2025-01-06", "2025-06-30",
        "realisee",
        desc="À partir des données i-milo, l'équipe régionale produit un tableau de bord annuel "
             "pour chacune des 39 missions locales, préparatoire au dialogue de gestion avec la "
             "DREETS. Les tableaux présentent l'activité, les publics et les résultats au regard "
             "des objectifs de la convention pluriannuelle. Ils sont vérifiés avec les directeurs "
             "avant leur diffusion.",
        partners=(DREETS,),
        days=(("mad", 24, 25), ("dir", 4, 4)),
        deliv=(("Tableaux de bord 2024 diffusés", "2025-03-31", "2025-03-28"),),
        ind=(("Tableaux de bord produits", "tableaux", 39, 39),)),
    act("3.3", "Observatoire régional des parcours des jeunes", "mad", "2025-01-06",
        "2025-09-30", "realisee",
        desc="L'observatoire administre l'entrepôt régional des données Parcours et produit les "
             "indicateurs de référence sur les jeunes accompagnés et leurs parcours. Les analyses "
             "sont construites avec la DREETS, la Région et l'Insee, puis valorisées dans une "
             "publication annuelle imprimée et en ligne. Les données couvrent l'ensemble des "
             "jeunes accompagnés dans la région.",
        partners=(DREETS, REGION, "Insee Nouvelle-Aquitaine"),
        days=(("mad", 20, 21), ("cm", 4, 3)),
        budget=(("communication", "Mise en page et impression", 2800, 2650),),
        deliv=(("Publication de l'observatoire 2024", "2025-09-15", "2025-09-12"),),
        ind=(("Jeunes couverts par l'observatoire", "jeunes", 98000, 101450),)),
    act("3.3", "Charte régionale de saisie Parcours : actualisation", "mad", "2025-02-03",
        "2025-11-28", "realisee",
        desc="Actualisation de la charte régionale de saisie avec les référents SI de quatre "
             "missions locales, pour harmoniser l'enregistrement des événements dans Parcours et "
             "fiabiliser les données. Les règles révisées sont présentées au conseil technique des "
             "directeurs, puis signées par chaque directeur. La version 3 de la charte est "
             "diffusée avec un guide pratique pour les conseillers.",
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
