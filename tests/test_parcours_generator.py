"""The synthetic extract generator: format, determinism, manifest, distributions.

The re-check below implements the charter table of the spec independently, in plain
pandas on the written files, and must find exactly the manifest's records — it guards
the generator on its own, whatever the engine does.
"""

from __future__ import annotations

import json
import unicodedata
import zipfile
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from models.parcours.generator import (
    COLUMNS,
    NOMS,
    PRENOMS_F,
    PRENOMS_H,
    RULES,
    Manifest,
    generate_extract,
)

TODAY = date(2026, 11, 23)
PERIOD = (date(2025, 10, 1), date(2026, 9, 30))
MLS = [("ML-LILLE", "59"), ("ML-AJACCIO", "2A"), ("ML-REUNION", "974"), ("ML-BOURG", "01")]
FILES = ("jeunes", "evenements", "situations", "dispositifs")


def _generate(folder: Path, **overrides) -> Manifest:
    args = {"jeunes": 600, "seed": 11, "defect_rate": 0.03, "missions_locales": MLS,
            "period": PERIOD, "today": TODAY}
    args.update(overrides)
    return generate_extract(folder, **args)


@pytest.fixture(scope="module")
def extract(tmp_path_factory):
    folder = tmp_path_factory.mktemp("extract")
    return folder, _generate(folder)


# ------------------------------------------------------------------ independent re-check
def _read(folder: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(folder / f"{name}.csv", sep=";", dtype=str, keep_default_na=False,
                       encoding="utf-8")


def _dates(series: pd.Series) -> pd.Series:
    return pd.to_datetime(series.str.strip(), format="%d/%m/%Y", errors="coerce")


def _age(birth: pd.Series, at: pd.Series) -> pd.Series:
    before = (at.dt.month < birth.dt.month) | (
        (at.dt.month == birth.dt.month) & (at.dt.day < birth.dt.day))
    return at.dt.year - birth.dt.year - before.astype(int)


def _norm(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text.upper()) if "A" <= c <= "Z")


def _dept(code: str) -> str:
    return code[:3] if code.startswith("97") else code[:2]


def _young(frame: pd.DataFrame) -> set[tuple[str, str, str]]:
    return {(m, i, f"J:{i}") for m, i in zip(frame["code_ml"], frame["id_jeune"], strict=True)}


def recheck(folder: Path, du: date, au: date, today: date) -> dict[str, set]:
    j, e = _read(folder, "jeunes"), _read(folder, "evenements")
    s, d = _read(folder, "situations"), _read(folder, "dispositifs")
    found: dict[str, set] = {}
    birth, dpa = _dates(j["date_naissance"]), _dates(j["date_premier_accueil"])
    found["Q01"] = _young(j[birth.isna()])
    age = _age(birth, dpa)
    found["Q02"] = _young(j[(age < 16).fillna(False)])
    found["Q03"] = _young(j[(age > 25).fillna(False)])
    found["Q04"] = _young(j[~j["sexe"].str.strip().str.upper().isin(["F", "H"])])
    niveau = j["niveau_formation"].str.strip().str.upper().str.replace(r"\s+", " ", regex=True)
    niveau = niveau.replace("VBIS", "V BIS")
    old = ["VI", "V BIS", "V", "IV", "III", "II", "I"]
    found["Q05"] = _young(j[~niveau.isin([*"12345678", *old])])
    found["Q06"] = _young(j[niveau.isin(old)])

    def place_ok(row) -> bool:
        commune, postal = row["code_commune"].strip(), row["code_postal"].strip()
        ok_commune = (len(commune) == 5 and (commune.isdigit() or (
            commune[:2] in ("2A", "2B") and commune[2:].isdigit())))
        if not ok_commune or not (len(postal) == 5 and postal.isdigit()):
            return False
        dc, dp = _dept(commune), _dept(postal)
        return dc == dp or (dp == "20" and dc in ("2A", "2B"))

    found["Q07"] = _young(j[~j.apply(place_ok, axis=1)])
    limit = pd.Timestamp(min(au, today))
    found["Q08"] = _young(j[dpa.isna() | (dpa > limit)])

    iso = birth.dt.strftime("%Y-%m-%d").where(birth.notna(), j["date_naissance"].str.strip())
    j = j.assign(pseudo=j["nom"].map(_norm) + "|" + j["prenom"].map(_norm) + "|" + iso)
    many = j.groupby(["code_ml", "pseudo"])["id_jeune"].transform("nunique") > 1
    found["Q09"] = _young(j[many])

    d = d.assign(entree=_dates(d["date_entree"]), sortie=_dates(d["date_sortie"]))
    progs = d.merge(j[["code_ml", "id_jeune", "pseudo"]], on=["code_ml", "id_jeune"])
    pairs = progs.merge(progs, on="pseudo", suffixes=("", "_b"))
    pairs = pairs[pairs["code_ml"] != pairs["code_ml_b"]]
    overlap = (pairs["sortie_b"].isna() | (pairs["entree"] <= pairs["sortie_b"])) & (
        pairs["sortie"].isna() | (pairs["entree_b"] <= pairs["sortie"]))
    found["Q10"] = _young(pairs[overlap])

    s = s.assign(debut=_dates(s["date_debut"]), fin=_dates(s["date_fin"]))
    bad_s = s[(s["fin"] < s["debut"]).fillna(False)]
    bad_d = d[(d["sortie"] < d["entree"]).fillna(False)]
    found["Q11"] = {(m, i, f"S:{i}:{t:%Y-%m-%d}:{k}") for m, i, t, k in zip(
        bad_s["code_ml"], bad_s["id_jeune"], bad_s["debut"], bad_s["type_situation"],
        strict=True)} | {(m, i, f"D:{i}:{t:%Y-%m-%d}:{k}") for m, i, t, k in zip(
            bad_d["code_ml"], bad_d["id_jeune"], bad_d["entree"], bad_d["dispositif"],
            strict=True)}

    jobs = s[s["type_situation"].isin(["EMPLOI_CDI", "EMPLOI_CDD", "INTERIM", "CONTRAT_AIDE",
                                       "APPRENTISSAGE", "CONTRAT_PRO"])]
    jobs = jobs[~(jobs["fin"] < jobs["debut"]).fillna(False)].reset_index()
    both = jobs.merge(jobs, on=["code_ml", "id_jeune"], suffixes=("", "_b"))
    both = both[both["index"] != both["index_b"]]
    clash = (both["fin_b"].isna() | (both["debut"] <= both["fin_b"])) & (
        both["fin"].isna() | (both["debut_b"] <= both["fin"]))
    found["Q12"] = _young(both[clash])

    cej = (d["dispositif"] == "CEJ") & (d["entree"] < pd.Timestamp("2022-03-01"))
    gj = (d["dispositif"] == "GARANTIE_JEUNES") & (d["entree"] > pd.Timestamp("2022-02-28"))
    bad = d[cej | gj]
    found["Q13"] = {(m, i, f"D:{i}:{t:%Y-%m-%d}:{k}") for m, i, t, k in zip(
        bad["code_ml"], bad["id_jeune"], bad["entree"], bad["dispositif"], strict=True)}

    opened = d[d["date_sortie"].str.strip() == ""]
    twice = opened[opened["dispositif"].isin(["CEJ", "PACEA"])].groupby(
        ["code_ml", "id_jeune", "dispositif"]).size()
    found["Q14"] = {(m, i, f"J:{i}:{k}") for (m, i, k), n in twice.items() if n > 1}

    start = (pd.Timestamp(au) - pd.DateOffset(months=5))
    e = e.assign(when=_dates(e["date_evenement"]))
    recent = e[(e["when"] >= start) & (e["when"] <= pd.Timestamp(au))]
    followed = opened[["code_ml", "id_jeune"]].drop_duplicates().merge(
        j[["code_ml", "id_jeune"]])
    seen = set(zip(recent["code_ml"], recent["id_jeune"], strict=True))
    found["Q15"] = {(m, i, f"J:{i}") for m, i in zip(followed["code_ml"], followed["id_jeune"],
                                                     strict=True) if (m, i) not in seen}

    known = set(zip(j["code_ml"], j["id_jeune"], strict=True))
    found["Q16"] = {(m, i, f"O:{name}:{i}") for name, frame in (
        ("evenements", e), ("situations", s), ("dispositifs", d))
        for m, i in zip(frame["code_ml"], frame["id_jeune"], strict=True)
        if (m, i) not in known}

    out = e[e["when"].isna() | (e["when"] < pd.Timestamp(du)) | (e["when"] > pd.Timestamp(au))]
    found["Q17"] = {(m, i, f"E:{i}:{raw}:{kind}:{theme}") for m, i, raw, kind, theme in zip(
        out["code_ml"], out["id_jeune"], out["date_evenement"], out["type"], out["thematique"],
        strict=True)}
    return found


def _as_sets(manifest: Manifest) -> dict[str, set]:
    return {rule: {tuple(t) for t in manifest.defects[rule]} for rule in RULES}


# ------------------------------------------------------------------ tests
def test_files_have_the_shared_format(extract):
    folder, manifest = extract
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [f"{f}.csv" for f in FILES] + ["manifest.json"])
    for name in FILES:
        raw = (folder / f"{name}.csv").read_bytes()
        assert not raw.startswith(b"\xef\xbb\xbf")
        assert b"\r" not in raw
        text = raw.decode("utf-8")  # strict: fails on anything but UTF-8
        lines = text.split("\n")
        assert lines[0] == ";".join(COLUMNS[name])
        assert lines[-1] == ""  # final newline, no trailing empty line
        width = len(COLUMNS[name])
        assert all(line.count(";") == width - 1 for line in lines[1:-1])
        assert len(lines) - 2 == manifest.counts[name]
    jeunes = _read(folder, "jeunes")
    assert jeunes["date_premier_accueil"].str.fullmatch(r"(\d\d/\d\d/\d{4})?|31/\d\d/\d{4}").all()
    assert set(jeunes["qpv"]) == {"O", "N"}
    assert "É" in "".join(jeunes["nom"]) or "é" in "".join(jeunes["prenom"])


def test_same_seed_same_bytes_and_another_seed_differs(tmp_path):
    first = _generate(tmp_path / "a", jeunes=300, seed=5)
    second = _generate(tmp_path / "b", jeunes=300, seed=5)
    assert first == second
    for name in [*(f"{f}.csv" for f in FILES), "manifest.json"]:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    _generate(tmp_path / "c", jeunes=300, seed=6)
    assert (tmp_path / "c" / "jeunes.csv").read_bytes() != \
        (tmp_path / "a" / "jeunes.csv").read_bytes()


def test_zip_output_holds_the_four_files_and_is_deterministic(tmp_path):
    _generate(tmp_path / "plain", jeunes=250, seed=3)
    manifest = _generate(tmp_path / "zip", jeunes=250, seed=3, zip_output=True)
    _generate(tmp_path / "zip2", jeunes=250, seed=3, zip_output=True)
    name = "extrait_20251001_20260930.zip"
    assert manifest.archive == name
    assert sorted(p.name for p in (tmp_path / "zip").iterdir()) == ["extrait_20251001_20260930.zip",
                                                                    "manifest.json"]
    assert (tmp_path / "zip" / name).read_bytes() == (tmp_path / "zip2" / name).read_bytes()
    with zipfile.ZipFile(tmp_path / "zip" / name) as zf:
        assert sorted(zf.namelist()) == sorted(f"{f}.csv" for f in FILES)
        for f in FILES:
            assert zf.read(f"{f}.csv") == (tmp_path / "plain" / f"{f}.csv").read_bytes()
    assert (tmp_path / "zip" / "manifest.json").read_bytes() == \
        (tmp_path / "plain" / "manifest.json").read_bytes()


def test_manifest_lists_every_rule_and_round_trips(extract):
    folder, manifest = extract
    data = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert data == manifest.to_dict()
    assert list(data) == ["seed", "jeunes", "defect_rate", "period", "today", "counts",
                          "defects"]
    assert data["period"] == ["2025-10-01", "2026-09-30"]
    assert list(data["defects"]) == list(RULES)
    assert all(data["defects"][rule] for rule in RULES)  # ≥ 1 per rule at 600 young people
    assert Manifest.load(folder / "manifest.json").expected() == manifest.expected()
    # a young person carries one injected breach at most
    owners: dict[tuple[str, str], str] = {}
    for rule in RULES:
        if rule == "Q16":
            continue
        for code_ml, id_jeune, _ in manifest.defects[rule]:
            assert owners.setdefault((code_ml, id_jeune), rule) == rule


def test_independent_recheck_finds_exactly_the_manifest(extract):
    folder, manifest = extract
    found = recheck(folder, *PERIOD, TODAY)
    expected = _as_sets(manifest)
    for rule in RULES:
        assert found[rule] == expected[rule], rule


@pytest.mark.parametrize("period, today, mls", [
    # four months before the CEJ existed: Q15 people have no event at all, Q13 flips to CEJ
    ((date(2021, 9, 1), date(2021, 12, 31)), date(2022, 6, 1), MLS[:2]),
    # extraction before the period's end: first receptions stop at today
    ((date(2026, 1, 1), date(2026, 12, 31)), TODAY, [("ML-A", "75"), ("ML-B", "971")]),
    # a period straddling the GJ → CEJ switch
    ((date(2021, 7, 1), date(2022, 6, 30)), TODAY, MLS),
])
def test_recheck_on_other_periods(tmp_path, period, today, mls):
    manifest = _generate(tmp_path, jeunes=400, seed=21, defect_rate=0.04, period=period,
                         today=today, missions_locales=mls)
    found = recheck(tmp_path, *period, today)
    expected = _as_sets(manifest)
    for rule in RULES:
        assert expected[rule], rule
        assert found[rule] == expected[rule], rule


def test_clean_extract_breaks_no_rule(tmp_path):
    manifest = _generate(tmp_path, jeunes=800, seed=2, defect_rate=0.0)
    assert all(not rows for rows in manifest.defects.values())
    found = recheck(tmp_path, *PERIOD, TODAY)
    assert {rule: rows for rule, rows in found.items() if rows} == {}


def test_distributions_look_like_a_region(tmp_path):
    manifest = _generate(tmp_path, jeunes=3000, seed=8, defect_rate=0.01)
    j = _read(tmp_path, "jeunes")
    assert 0.40 <= (j["sexe"] == "F").mean() <= 0.60
    assert 10 <= manifest.counts["evenements"] / 3000 <= 17
    assert 2.2 <= manifest.counts["situations"] / 3000 <= 3.2
    assert 1.1 <= manifest.counts["dispositifs"] / 3000 <= 1.7
    age = _age(_dates(j["date_naissance"]), _dates(j["date_premier_accueil"])).dropna()
    assert age.between(16, 25).mean() >= 0.95
    assert 0.45 <= age.between(18, 21).mean() <= 0.65
    niveau = j["niveau_formation"].value_counts(normalize=True)
    assert niveau.get("3", 0) + niveau.get("4", 0) >= 0.55
    assert j["logement"].value_counts().index[0] == "PARENTS"
    assert 0.10 <= (j["qpv"] == "O").mean() <= 0.20
    assert 0.06 <= (j["zrr"] == "O").mean() <= 0.14
    assert 0.24 <= (j["permis_b"] == "O").mean() <= 0.36
    sizes = j["code_ml"].value_counts()
    assert len(sizes) == len(MLS) and sizes.max() > 1.3 * sizes.min()
    d = _read(tmp_path, "dispositifs")
    assert {"PACEA", "CEJ", "GARANTIE_JEUNES"} <= set(d["dispositif"])
    assert (d["date_sortie"] == "").mean() > 0.2
    # first receptions inside the period exist, and none after min(au, today)
    dpa = _dates(j["date_premier_accueil"]).dropna()
    assert (dpa >= pd.Timestamp(PERIOD[0])).mean() > 0.25


def test_names_are_distinct_once_normalised():
    for names in (NOMS, PRENOMS_F + PRENOMS_H):
        assert len({_norm(n) for n in names}) == len(names)
    assert len(NOMS) >= 250 and len(PRENOMS_F) >= 150 and len(PRENOMS_H) >= 150


@pytest.mark.parametrize("overrides", [
    {"defect_rate": 0.2}, {"defect_rate": -0.01}, {"jeunes": 0},
    {"missions_locales": []}, {"missions_locales": [("ML", "20")]},
    {"missions_locales": [("ML", "59"), ("ML", "62")]},
    {"period": (date(2026, 9, 30), date(2025, 10, 1))},
])
def test_arguments_it_cannot_honour_are_refused(tmp_path, overrides):
    with pytest.raises(ValueError):
        _generate(tmp_path, **overrides)
    assert not (tmp_path / "manifest.json").exists()
