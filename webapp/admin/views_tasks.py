"""/admin/taches: the scheduled jobs, their last runs and "lancer maintenant" (admins only)."""
