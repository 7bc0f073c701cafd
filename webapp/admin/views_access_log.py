"""/admin/acces: who viewed or exported a mission locale's youth-level data (admins only)."""
