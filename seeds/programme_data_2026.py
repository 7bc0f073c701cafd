"""Demo actions of the 2026 programme (in progress on 23 November 2026).

Most actions are done or in progress, a few planned for December, one postponed
and one abandoned; a handful of deliverables are late. Two amendments follow the
copil's validation (``AMENDED_ACTION`` and ``ADDED_ACTION``).
"""

from __future__ import annotations

from typing import Any

from seeds.programme_data import ARACT, DREETS, FT, OPCO, REGION, act

ACTIONS_2026: list[dict[str, Any]] = [
    act("1.1", "Animation régionale du parrainage 2026", "cm", "2026-01-12", "2026-12-15",
        "en_cours",
        desc="Poursuite de l'animation des réseaux de parrainage dans sept missions locales, avec "
             "la DREETS, la Région et les clubs d'entreprises FACE. L'équipe régionale organise "
             "les sessions de formation des parrains, accompagne les référents parrainage et fait "
             "évoluer les outils communs. Une journée régionale des référents, en décembre, "
             "dressera le bilan de l'année.",
        partners=(DREETS, REGION, "Clubs d'entreprises FACE"),
        mls=("47003", "64004", "24002", "87001", "17001", "86001", "40002"),
        days=(("cm", 14, 11), ("dir", 3, 2)),
        budget=(("prestations", "Formation des parrains", 6800, 4950),
                ("communication", "Outils du parrainage", 2500, 1870),
                ("deplacements", "", 1500, 1120)),
        deliv=(("Sessions de formation des parrains", "2026-06-30", "2026-06-26"),
               ("Journée régionale des référents parrainage", "2026-12-08", None)),
        ind=(("Jeunes parrainés", "jeunes", 480, 402), ("Parrains formés", "parrains", 60, 48))),
    act("1.1", "Job datings sectoriels avec les entreprises du Béarn et des Landes", "cm",
        "2026-03-02", "2026-05-29", "realisee",
        desc="Quatre missions locales du Béarn et des Landes organisent, avec France Travail, la "
             "CCI Pau Béarn et le groupement d'employeurs agricoles des Landes, des job datings "
             "sectoriels. L'ARML coordonne la préparation des jeunes en amont, la communication et "
             "la logistique des journées. Un bilan recense les jeunes présélectionnés et recrutés, "
             "par secteur.",
        partners=(FT, "CCI Pau Béarn", "Groupement d'employeurs agricoles des Landes"),
        mls=("64001", "64003", "40001", "40002"),
        days=(("cm", 8, 8), ("dir", 1, 1)),
        budget=(("autres", "Location de salles", 1400, 1250),
                ("communication", "Affiches et réseaux sociaux", 800, 760)),
        deliv=(("Bilan des job datings", "2026-06-15", "2026-06-12"),),
        ind=(("Jeunes présélectionnés", "jeunes", 80, 94), ("Jeunes recrutés", "jeunes", 20, 23))),
    act("1.2", "Accès à la formation : partenariat avec la Région", "dir", "2026-01-12",
        "2026-12-18", "en_cours",
        desc="L'animation régionale suit les prescriptions des missions locales vers le programme "
             "régional de formation et anime le réseau des référents formation. Avec le Rectorat, "
             "elle travaille l'articulation avec les plateformes de suivi et d'appui aux "
             "décrocheurs. Des points réguliers avec la Région et Cap Métiers permettent de lever "
             "les freins d'accès à la formation.",
        partners=(REGION, "Rectorat de Bordeaux", "Cap Métiers Nouvelle-Aquitaine"),
        mls=("33009", "33001", "47001"),
        days=(("dir", 8, 6), ("mad", 4, 3)),
        budget=(("deplacements", "", 900, 610),),
        ind=(("Missions locales ayant un référent formation", "missions locales", 39, 37),)),
    act("1.3", "Réseau des psychologues en mission locale", "cm", "2026-01-12", "2026-12-18",
        "en_cours",
        desc="Le réseau régional des psychologues poursuit ses échanges de pratiques et ses "
             "séances de supervision, avec l'appui de l'ARS et de la CPAM de la Gironde. L'équipe "
             "régionale consolide les données d'activité et formalise des repères communs sur "
             "l'orientation des jeunes vers le soin. L'objectif est de recevoir 700 jeunes dans "
             "l'année.",
        partners=("ARS Nouvelle-Aquitaine", "CPAM de la Gironde"),
        mls=("24001", "87001", "16001", "79001", "16003"),
        days=(("cm", 8, 7), ("dir", 2, 2)),
        budget=(("prestations", "Supervision des psychologues", 7500, 6250),
                ("deplacements", "", 600, 430)),
        ind=(("Jeunes reçus par un psychologue", "jeunes", 700, 655),)),
    act("1.3", "Mobilité des jeunes : plateformes mobilité rurales", "mad", "2026-02-02",
        "2026-09-30", "realisee",
        desc="Recensement, avec la Région et Wimoov, des solutions de mobilité accessibles aux "
             "jeunes des territoires ruraux : plateformes mobilité, location de deux-roues, aides "
             "au permis. Des échanges entre les missions locales rurales et les plateformes "
             "identifient les manques et les bonnes pratiques. Le résultat est une cartographie "
             "partagée des solutions par territoire.",
        partners=(REGION, "Wimoov"),
        mls=("23001", "19002", "24004", "87002"),
        days=(("mad", 6, 6), ("cm", 3, 3)),
        budget=(("deplacements", "", 1200, 1340),),
        deliv=(("Cartographie des solutions de mobilité", "2026-09-30", "2026-09-24"),),
        ind=(("Missions locales rurales couvertes", "missions locales", 10, 11),)),
    act("2.1", "Programme régional de formation 2026", "cm", "2026-01-05", "2026-12-18",
        "en_cours",
        desc="Deuxième année du marché mutualisé : catalogue régional construit avec les missions "
             "locales et financé avec l'OPCO et la Région. L'équipe régionale organise les "
             "sessions, gère les inscriptions et évalue les formations ; trois webinaires "
             "remplacent l'université d'été abandonnée. Le bilan annuel sera présenté au comité de "
             "pilotage de décembre.",
        partners=(OPCO, REGION),
        mls=("33005", "17004", "33001", "40001", "47001", "86001", "87001", "16001", "24001",
             "17002", "79001"),
        days=(("cm", 40, 35), ("dir", 8, 7)),
        budget=(("prestations", "Organismes de formation (marché mutualisé)", 45000, 38200),
                ("deplacements", "Formateurs", 2600, 2050),
                ("autres", "Salles et restauration", 6200, 5100)),
        deliv=(("Catalogue régional 2026", "2026-01-30", "2026-01-29"),
               ("Bilan annuel de la formation", "2026-12-18", None)),
        ind=(("Jours de formation", "jours", 70, 61), ("Salariés formés", "salariés", 280, 246))),
    act("2.1", "Formation à la sécurisation financière des missions locales", "dir",
        "2026-03-02", "2026-11-13", "realisee",
        desc="Seize jours de formation et d'accompagnement avec un cabinet conseil pour les "
             "directeurs, assistants financiers et référents Parcours de huit missions locales. "
             "Les participants travaillent le contrôle de gestion des financements et la "
             "justification des conventions. Le groupe produit une matrice d'indicateurs "
             "financiers et un tableau de bord de gestion partagé.",
        partners=(OPCO, DREETS, "Cabinet Sémaphore Conseil"),
        mls=("33005", "64001", "33006", "24003", "47002", "17003", "86002", "23001"),
        days=(("dir", 12, 13), ("cm", 6, 6)),
        budget=(("prestations", "Cabinet conseil (16 jours)", 19200, 19200),
                ("deplacements", "", 1400, 1520)),
        deliv=(("Matrice d'indicateurs financiers", "2026-09-30", "2026-09-30"),
               ("Tableau de bord de gestion partagé", "2026-11-13", "2026-11-12")),
        ind=(("Jours de formation et d'accompagnement", "jours", 16, 16),
             ("Professionnels formés", "personnes", 30, 27))),
    act("2.1", "Démarche de progrès : plans de progrès des 11 missions locales", "dir",
        "2026-01-12", "2026-12-18", "en_cours",
        desc="Suite des états des lieux de 2025 : le cabinet Amnyos accompagne chacune des 11 "
             "missions locales dans l'élaboration d'un plan de progrès, validé par le binôme "
             "président–directeur. Les plans portent sur la territorialisation de l'offre de "
             "services, l'accompagnement global et les enjeux managériaux. Une synthèse régionale "
             "est présentée à la DREETS et à la Région pour ajuster leurs modalités de soutien.",
        partners=(DREETS, REGION, "Cabinet Amnyos"),
        mls=("33005", "33006", "33007", "33008", "24002", "24003", "40002", "47002", "47003",
             "64003", "64004"),
        days=(("dir", 20, 17), ("cm", 8, 7)),
        budget=(("prestations", "Cabinet d'appui (plans de progrès)", 18000, 12000),
                ("deplacements", "", 2000, 1650)),
        deliv=(("11 plans de progrès validés", "2026-06-30", "2026-07-10"),
               ("Synthèse régionale des plans de progrès", "2026-10-30", None)),
        ind=(("Plans de progrès validés", "plans", 11, 11),)),
    act("2.1", "Parcours management et GRH des directeurs", "dir", "2026-02-02", "2026-10-16",
        "realisee",
        desc="Mise en œuvre des préconisations du groupe de travail de 2025, avec l'OPCO et "
             "l'ANDML : parcours de formation à la carte en management et gestion des ressources "
             "humaines. Un groupe de co-développement entre pairs se réunit en parallèle pour "
             "traiter des situations réelles. Un bilan du parcours est présenté au conseil "
             "technique des directeurs.",
        partners=(OPCO, "ANDML"),
        mls=("33001", "33004", "64001", "87001", "17001", "86002"),
        days=(("dir", 10, 10), ("cm", 5, 5)),
        budget=(("prestations", "Intervenant co-développement", 8400, 8400),
                ("deplacements", "", 900, 780)),
        deliv=(("Bilan du parcours", "2026-10-16", "2026-10-14"),),
        ind=(("Directeurs participants", "directeurs", 10, 9),)),
    act("2.1", "Université d'été des conseillers", "cm", "2026-06-29", "2026-07-03",
        "abandonnee",
        desc="Cinq jours de formation et de rencontres pour une centaine de conseillers, autour "
             "des nouvelles pratiques d'accompagnement. Le projet prévoyait un lieu d'hébergement "
             "commun et des ateliers animés par des intervenants extérieurs et des professionnels "
             "du réseau.",
        reason="Financement régional non obtenu et coût du lieu trop élevé : remplacée par "
               "trois webinaires du programme de formation.",
        days=(("cm", 6, 2),),
        budget=(("autres", "Hébergement et restauration", 12000, 0),)),
    act("2.1", "Journée d'intégration des nouveaux directeurs", "dir", "2026-12-10",
        "2026-12-10", "prevue",
        desc="Journée d'accueil des directeurs récemment nommés, avec la DREETS et la Région, pour "
             "présenter le réseau, ses instances, ses financeurs et l'offre de services de l'ARML. "
             "Chaque participant reçoit un livret d'accueil et est mis en relation avec un "
             "directeur expérimenté.",
        partners=(DREETS, REGION),
        days=(("dir", 3, None), ("cm", 2, None)),
        budget=(("autres", "Salle et restauration", 900, None),),
        deliv=(("Livret d'accueil des directeurs", "2026-12-04", None),),
        ind=(("Nouveaux directeurs accueillis", "directeurs", 5, None),)),
    act("2.2", "Conseil technique des directeurs", "dir", "2026-01-15", "2026-12-17",
        "en_cours",
        desc="Le conseil technique réunit les directeurs une journée toutes les six semaines, sous "
             "l'animation de l'équipe régionale. Veille sur les dispositifs, échanges de bonnes "
             "pratiques et dialogue avec l'État et la Région y alternent ; en 2026, une place "
             "particulière est faite au Réseau pour l'emploi. Un relevé de conclusions est diffusé "
             "après chaque séance.",
        partners=(DREETS, REGION),
        days=(("dir", 26, 22), ("cm", 6, 5)),
        budget=(("autres", "Salles et restauration", 5000, 4250),
                ("deplacements", "", 1800, 1480)),
        ind=(("Réunions tenues", "réunions", 8, 7),
             ("Taux de présence des directeurs", "%", 75, 78))),
    act("2.2", "Cluster QVT / RPS : 2e vague, 7 missions locales, 3 sessions", "cm",
        "2026-05-04", "2026-12-18", "en_cours",
        desc="Nouvelle action collective avec l'Aract pour sept autres missions locales : trois "
             "sessions et un travail inter-sessions porté dans chaque structure par un binôme "
             "direction–salarié. Les binômes partent d'un diagnostic partagé des risques "
             "psychosociaux pour engager des expérimentations sur l'organisation du travail. Une "
             "évaluation à six mois de la première vague complète l'action.",
        partners=(ARACT, OPCO, "CARSAT Aquitaine"),
        mls=("33004", "33002", "24004", "40002", "64002", "79001", "87002"),
        days=(("cm", 24, 18), ("dir", 5, 4)),
        budget=(("prestations", "Intervention Aract (3 sessions)", 14000, 9300),
                ("deplacements", "", 2000, 1410),
                ("autres", "Salles et restauration", 1500, 980)),
        deliv=(("Évaluation à 6 mois de la première vague", "2026-07-15", None),
               ("Session 1 — diagnostic partagé", "2026-06-11", "2026-06-11"),
               ("Session 2 — plans d'action", "2026-09-24", "2026-09-24"),
               ("Session 3 — expérimentations", "2026-12-03", None)),
        ind=(("Missions locales engagées", "missions locales", 7, 7),)),
    act("2.2", "Rencontres régionales des conseillers", "cm", "2026-03-02", "2026-04-17",
        "realisee",
        desc="Reportées de 2025 : deux journées d'échanges de pratiques sur l'accueil et "
             "l'accompagnement des publics éloignés de l'emploi, préparées avec quatre missions "
             "locales. Les ateliers sont animés par des conseillers du réseau et des intervenants "
             "extérieurs. Les actes des rencontres sont diffusés à l'ensemble des missions "
             "locales.",
        mls=("33005", "47001", "33001", "86001"),
        days=(("cm", 9, 10), ("dir", 3, 3)),
        budget=(("autres", "Lieu et restauration", 5200, 5480),
                ("communication", "Programme et captations", 900, 900)),
        deliv=(("Actes des rencontres", "2026-05-29", "2026-06-05"),),
        ind=(("Conseillers participants", "conseillers", 150, 168),)),
    act("2.2", "Séminaire régional des présidents et directeurs", "dir", "2026-09-14",
        "2026-09-15", "reportee",
        desc="Séminaire de deux jours réunissant les présidents et les directeurs des missions "
             "locales sur la gouvernance du réseau et les suites de la démarche de progrès. Il "
             "devait aussi permettre de partager les orientations du futur protocole régional.",
        reason="Reporté au premier trimestre 2027 (renouvellement des présidents après les "
               "élections municipales) : décision du copil du 18 juin 2026.",
        days=(("dir", 4, 1), ("cm", 2, 0)),
        budget=(("autres", "Lieu et restauration", 6000, 0),)),
    act("2.3", "Appui au système d'information Parcours / i-milo", "mad", "2026-01-05",
        "2026-12-18", "en_cours",
        desc="Assistance de premier niveau des utilisateurs d'i-milo et relais des demandes de "
             "second niveau auprès du GIP Parcours. L'équipe régionale diffuse les évolutions de "
             "l'application et forme les référents SI des missions locales. Les coûts de connexion "
             "et d'assistance restent mutualisés.",
        partners=("GIP Parcours",),
        days=(("mad", 30, 26), ("cm", 8, 7)),
        budget=(("prestations", "Assistance et connexions mutualisées", 9200, 7650),),
        ind=(("Demandes d'assistance traitées", "demandes", 330, 298),)),
    act("2.3", "Appui aux dossiers de financement européens", "dir", "2026-01-05", "2026-07-31",
        "realisee",
        desc="La directrice accompagne quatre missions locales dans le montage et le suivi de "
             "leurs dossiers FSE+, en lien avec la DREETS et la Région. L'appui porte sur les "
             "budgets, les indicateurs et les pièces justificatives attendues par les services "
             "gestionnaires.",
        partners=(DREETS, REGION),
        mls=("64001", "23001", "19002", "33007"),
        days=(("dir", 10, 11),),
        ind=(("Dossiers accompagnés", "dossiers", 12, 12),)),
    act("2.4", "Plan de communication 2026", "cm", "2026-01-05", "2026-12-18", "en_cours",
        desc="Le plan de communication 2026 poursuit la lettre d'information et l'animation du "
             "site du réseau. Il prévoit l'édition du rapport d'activité 2025, diffusé aux élus, "
             "aux financeurs et aux partenaires. Les missions locales contribuent par des "
             "portraits de jeunes et des actions locales.",
        days=(("cm", 12, 10), ("dir", 4, 3)),
        budget=(("communication", "Lettre d'information et site", 4500, 3900),
                ("communication", "Rapport d'activité imprimé", 3600, 0)),
        deliv=(("Rapport d'activité 2025 imprimé", "2026-09-30", None),),
        ind=(("Lettres d'information", "numéros", 10, 8),)),
    act("2.4", "Conférence de presse de l'observatoire 2026", "dir", "2026-09-07",
        "2026-10-09", "prevue",
        desc="Présentation à la presse des caractéristiques des jeunes accompagnés en 2025, à "
             "partir de l'observatoire régional, avec la DREETS et la Région. L'agence de "
             "communication prépare le dossier de presse sous le label « Observatoire des jeunes "
             "en Nouvelle-Aquitaine ». La conférence valorise les résultats du réseau auprès des "
             "médias régionaux.",
        partners=(DREETS, REGION, "Agence Mascaret (communication)"),
        days=(("dir", 5, 1), ("mad", 6, 3)),
        budget=(("communication", "Agence : dossier de presse", 4800, 1200),
                ("autres", "Salle de presse", 800, None)),
        deliv=(("Dossier de presse", "2026-11-27", None),),
        ind=(("Journalistes présents", "journalistes", 15, None),)),
    act("3.1", "Préparation et suivi du comité de pilotage", "dir", "2026-01-05",
        "2026-12-18", "en_cours",
        desc="L'équipe régionale prépare les trois réunions du comité de pilotage : ordre du jour, "
             "dossiers, état d'avancement et projets d'avenants. Elle rédige les relevés de "
             "décisions et en suit la mise en œuvre auprès des signataires. La réunion de décembre "
             "présentera le bilan provisoire 2026 et le projet de programme 2027.",
        partners=(DREETS, REGION, "Conseils départementaux"),
        days=(("dir", 14, 11), ("mad", 3, 2)),
        budget=(("deplacements", "", 700, 520),),
        ind=(("Réunions du copil", "réunions", 3, 2),)),
    act("3.1", "Renouvellement du protocole régional", "dir", "2026-02-02", "2026-12-18",
        "en_cours",
        desc="Reporté de 2025 : préparation d'un nouveau protocole entre l'État, la Région, les "
             "départements et l'ARML, qui fixe le pilotage de l'animation régionale. La directrice "
             "conduit la concertation avec les signataires et rédige le projet de texte. La "
             "signature est visée pour la fin de l'année.",
        partners=(DREETS, REGION, "Conseils départementaux"),
        days=(("dir", 8, 6),),
        budget=(("autres", "Frais de signature", 500, None),),
        deliv=(("Projet de protocole transmis aux signataires", "2026-10-15", None),)),
    act("3.2", "Tableaux de bord et dialogue de gestion", "mad", "2026-01-05", "2026-06-30",
        "realisee",
        desc="Production des tableaux de bord 2025 des 39 missions locales à partir des données "
             "i-milo, préparatoires au dialogue de gestion avec la DREETS. Les indicateurs "
             "d'activité et de résultats sont vérifiés avec chaque directeur avant diffusion.",
        partners=(DREETS,),
        days=(("mad", 24, 25), ("dir", 4, 4)),
        deliv=(("Tableaux de bord 2025 diffusés", "2026-03-31", "2026-03-27"),),
        ind=(("Tableaux de bord produits", "tableaux", 39, 39),)),
    act("3.2", "Bilan d'activité consolidé du réseau", "mad", "2026-12-01", "2026-12-18",
        "prevue",
        desc="Consolidation des bilans d'activité des missions locales en un bilan régional, à "
             "partir des données i-milo et des contributions qualitatives des structures. Le "
             "document, présenté à la DREETS et à la Région, alimente le bilan du programme et le "
             "rapport d'activité.",
        partners=(DREETS, REGION),
        days=(("mad", 5, None), ("dir", 2, None)),
        deliv=(("Bilan d'activité consolidé", "2026-12-18", None),)),
    act("3.3", "Observatoire régional des parcours des jeunes", "mad", "2026-01-05",
        "2026-12-18", "en_cours",
        desc="Administration de l'entrepôt régional des données Parcours et production des "
             "indicateurs sur les jeunes accompagnés, avec la DREETS, la Région et l'Insee. La "
             "publication de l'observatoire 2025 est préparée pour la fin novembre, en amont de la "
             "conférence de presse.",
        partners=(DREETS, REGION, "Insee Nouvelle-Aquitaine"),
        days=(("mad", 14, 12), ("cm", 4, 3)),
        budget=(("communication", "Mise en page et impression", 2800, 0),),
        deliv=(("Publication de l'observatoire 2025", "2026-11-30", None),),
        ind=(("Jeunes couverts par l'observatoire", "jeunes", 100000, 103200),)),
    act("3.3", "Charte de saisie Parcours : contrôles qualité", "mad", "2026-01-12",
        "2026-12-18", "en_cours",
        desc="Contrôles trimestriels de la qualité de saisie dans Parcours au regard de la charte "
             "régionale, avec les référents SI de cinq missions locales. Chaque mission locale "
             "reçoit une restitution de ses anomalies et des actions correctives. Un rapport "
             "qualité est produit chaque trimestre.",
        mls=("33005", "33002", "24004", "16002", "19001"),
        days=(("mad", 8, 6), ("cm", 6, 5)),
        budget=(("autres", "Réunions des référents", 900, 560),),
        deliv=(("Rapport qualité de saisie T2", "2026-07-31", "2026-07-30"),
               ("Rapport qualité de saisie T3", "2026-10-31", None)),
        ind=(("Taux de dossiers conformes", "%", 90, 84),)),
]

#: Amendment 1 (``update_action`` after validation): the press conference moves.
AMENDED_ACTION = {
    "title": "Conférence de presse de l'observatoire 2026",
    "start": "2026-11-02", "end": "2026-12-03",
    "reason": "Livraison des données régionales 2025 retardée : conférence de presse décalée "
              "au 3 décembre 2026, en accord avec le comité de pilotage.",
}

#: Amendment 2 (``create_action`` after validation): an action the copil did not plan.
ADDED_ACTION = act(
    "2.3", "Appui au déploiement du Réseau pour l'emploi", "cm", "2026-03-16", "2026-12-18",
    "en_cours",
    desc="Appui aux missions locales dans la montée en charge du Réseau pour l'emploi : "
         "inscription des jeunes accompagnés et articulation avec France Travail et les "
         "départements. L'équipe régionale participe aux comités locaux pour l'emploi et organise "
         "des échanges de pratiques entre missions locales. Un guide régional des pratiques sera "
         "diffusé en décembre.",
    partners=(DREETS, FT, "Conseils départementaux"),
    mls=("33005", "33001", "33004", "86001"),
    days=(("cm", 12, 10), ("mad", 4, 3)),
    budget=(("deplacements", "", 1200, 880),),
    deliv=(("Guide régional des pratiques", "2026-12-11", None),),
    ind=(("Missions locales accompagnées", "missions locales", 39, 33),),
)
ADDED_REASON = ("Demande du comité de pilotage du 2 mars 2026 : accompagner les missions "
                "locales dans la montée en charge du Réseau pour l'emploi (avenant présenté "
                "au copil du 18 juin 2026).")
