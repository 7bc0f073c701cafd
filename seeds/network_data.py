"""A believable Nouvelle-Aquitaine network: 40 missions locales over 12 départements.

Names follow the way missions locales actually name themselves (territory,
agglomeration, pays); codes are département + three digits as in i-milo.
"""

REGION = {"code": "75", "name": "Nouvelle-Aquitaine",
          "arml_name": "ARML Nouvelle-Aquitaine (démonstration)"}

# (code, name, département, head-office commune)
MISSIONS_LOCALES: list[tuple[str, str, str, str]] = [
    ("16001", "Mission locale de l'Angoumois", "16", "Angoulême"),
    ("16002", "Mission locale Arc Charente", "16", "Cognac"),
    ("16003", "Mission locale Charente Limousine", "16", "Confolens"),
    ("17001", "Mission locale de La Rochelle-Ré-Pays d'Aunis", "17", "La Rochelle"),
    ("17002", "Mission locale de Saintonge", "17", "Saintes"),
    ("17003", "Mission locale Rochefort Marennes Oléron", "17", "Rochefort"),
    ("17004", "Mission locale de la Haute-Saintonge", "17", "Jonzac"),
    ("19001", "Mission locale de l'arrondissement de Brive", "19", "Brive-la-Gaillarde"),
    ("19002", "Mission locale de Tulle et de la Haute-Corrèze", "19", "Tulle"),
    ("23001", "Mission locale de la Creuse", "23", "Guéret"),
    ("24001", "Mission locale du Grand Périgueux", "24", "Périgueux"),
    ("24002", "Mission locale du Bergeracois", "24", "Bergerac"),
    ("24003", "Mission locale du Périgord Noir", "24", "Sarlat-la-Canéda"),
    ("24004", "Mission locale du Haut-Périgord", "24", "Nontron"),
    ("33001", "Mission locale de Bordeaux", "33", "Bordeaux"),
    ("33002", "Mission locale des Graves", "33", "Villenave-d'Ornon"),
    ("33003", "Mission locale Technowest", "33", "Mérignac"),
    ("33004", "Mission locale des Hauts de Garonne", "33", "Lormont"),
    ("33005", "Mission locale du Libournais", "33", "Libourne"),
    ("33006", "Mission locale du Bassin d'Arcachon", "33", "Arcachon"),
    ("33007", "Mission locale du Médoc", "33", "Lesparre-Médoc"),
    ("33008", "Mission locale de la Haute-Gironde", "33", "Blaye"),
    ("33009", "Mission locale du Sud-Gironde", "33", "Langon"),
    ("33010", "Mission locale des Deux Rives", "33", "La Réole"),
    ("40001", "Mission locale des Landes", "40", "Mont-de-Marsan"),
    ("40002", "Mission locale du Seignanx et de l'Adour", "40", "Dax"),
    ("47001", "Mission locale de l'Agenais, de l'Albret et du Confluent", "47", "Agen"),
    ("47002", "Mission locale du Pays Villeneuvois", "47", "Villeneuve-sur-Lot"),
    ("47003", "Mission locale du Pays Marmandais", "47", "Marmande"),
    ("64001", "Mission locale Pau Pyrénées", "64", "Pau"),
    ("64002", "Mission locale Pays Basque", "64", "Bayonne"),
    ("64003", "Mission locale Béarn Adour Nord", "64", "Orthez"),
    ("64004", "Mission locale des Vallées d'Oloron", "64", "Oloron-Sainte-Marie"),
    ("79001", "Mission locale du Niortais", "79", "Niort"),
    ("79002", "Mission locale du Nord Deux-Sèvres", "79", "Bressuire"),
    ("86001", "Mission locale d'insertion du Poitou", "86", "Poitiers"),
    ("86002", "Mission locale Nord Vienne", "86", "Châtellerault"),
    ("86003", "Mission locale Sud Vienne", "86", "Civray"),
    ("87001", "Mission locale de l'agglomération de Limoges", "87", "Limoges"),
    ("87002", "Mission locale rurale de la Haute-Vienne", "87", "Saint-Junien"),
]

#: Missions locales merged into a neighbour (kept for history, shown as inactive).
INACTIVE_CODES = {"33010"}

DIRECTOR_FIRST = ["Sophie", "Laurent", "Nathalie", "Karim", "Isabelle", "Philippe", "Céline",
                  "Olivier", "Sandrine", "Mehdi", "Valérie", "Thierry", "Aurélie", "Franck",
                  "Hélène", "Julien", "Claire", "Stéphane", "Amandine", "Rachid"]
DIRECTOR_LAST = ["Martin", "Bernard", "Dubois", "Lefèvre", "Moreau", "Girard", "Fournier",
                 "Lambert", "Rousseau", "Faure", "Mercier", "Blanc", "Guérin", "Boyer", "Garnier",
                 "Chevalier", "Marchand", "Duval", "Lemoine", "Perrin", "Arnaud", "Etcheverry",
                 "Lacoste", "Dupuy", "Labarthe"]
