"""Authorization matrix entries for the councils area (projects); merged into
``tests.test_authz_matrix.EXPECTED``. ``add(app, world)`` adds the objects these routes
need to the matrix's ``full_world`` (their ids into ``world["ids"]``).

Collective projects: the team runs them; the copil and the missions locales read them (an
ml account sees every project, edits nothing); a funder has no access. The evaluation
survey is public behind its signed token (a forged one is "not found").
"""

from __future__ import annotations

LOGIN = "login"
OK, REDIRECT, FORBIDDEN, NOT_FOUND = 200, 302, 403, 404

AREA_OK = {"anon": LOGIN, "admin": OK, "animateur": OK, "copil": OK, "ml": OK,
           "financeur": FORBIDDEN}
TEAM_OK = {"anon": LOGIN, "admin": OK, "animateur": OK, "*": FORBIDDEN}
TEAM_REDIRECT = {"anon": LOGIN, "admin": REDIRECT, "animateur": REDIRECT, "*": FORBIDDEN}

EXPECTED: dict[str, tuple[str, dict, dict[str, object]]] = {
    "councils.projects": ("GET", {}, AREA_OK),
    "councils.project_detail": ("GET", {"project_id": "project"}, AREA_OK),
    "councils.project_new": ("GET", {}, TEAM_OK),
    "councils.project_edit": ("GET", {"project_id": "project"}, TEAM_OK),
    # empty posts: the team is sent back to the project page with a French message
    "councils.project_phase": ("POST", {"project_id": "project"}, TEAM_REDIRECT),
    "councils.project_participant_add": ("POST", {"project_id": "project"}, TEAM_REDIRECT),
    "councils.project_participant_status": ("POST", {"participant_id": "participant"},
                                            TEAM_REDIRECT),
    "councils.project_binome": ("GET", {"participant_id": "participant"}, TEAM_OK),
    "councils.project_experiment_new": ("GET", {"participant_id": "participant"}, TEAM_OK),
    "councils.project_experiment_edit": ("GET", {"experiment_id": "experiment"}, TEAM_OK),
    "councils.project_experiment_delete": ("POST", {"experiment_id": "experiment"},
                                           TEAM_REDIRECT),
    "councils.project_evaluation_settings": ("POST", {"project_id": "project"},
                                             TEAM_REDIRECT),
    "councils.project_evaluation_send": ("POST", {"project_id": "project"}, TEAM_REDIRECT),
    "councils.project_evaluation_survey": ("GET", {"token": "jeton-invalide"},
                                           {"anon": NOT_FOUND, "*": NOT_FOUND}),
}


def add(app, world) -> None:
    """A project on the world's training, with ml_a retained (its binôme and one
    experiment): ids project, participant, experiment."""
    from models.audit import set_actor
    from models.councils import projects
    from webapp.extensions import db

    ids = world["ids"]
    with app.app_context():
        s = db.session
        set_actor(s, None, via="cli")
        project = projects.save_project(s, None, None, projects.ProjectData(
            title="Cluster QVT/RPS des missions locales", kind="cluster",
            partners="Aract Nouvelle-Aquitaine", action_id=ids["action_a"],
            training_id=ids.get("training")))
        participant = projects.add_participant(s, None, project, ids["ml_a"], "retenu")
        projects.set_binome(s, None, participant, [
            ("Anne Directrice", "anne.directrice@ml-libournais.fr", "direction"),
            ("Paul Délégué", "paul.delegue@ml-libournais.fr", "representant")])
        experiment = projects.save_experiment(s, None, participant, None,
                                              projects.ExperimentData(
                                                  objective="Baromètre QVT annuel"))
        s.commit()
        ids.update(project=project.id, participant=participant.id, experiment=experiment.id)
