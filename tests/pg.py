"""A throwaway PostgreSQL cluster for the test session (initdb + pg_ctl, never root)."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path


def find_bindir() -> Path | None:
    candidates = []
    if shutil.which("pg_config"):
        out = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True)
        candidates.append(out.stdout.strip())
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    for initdb in (shutil.which("initdb"),):
        if initdb:
            candidates.append(str(Path(os.path.realpath(initdb)).parent))
    for c in candidates:
        if c and (Path(c) / "initdb").exists() and (Path(c) / "pg_ctl").exists():
            return Path(c)
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Cluster:
    bindir: Path
    datadir: Path
    port: int
    run_as: str | None

    def _cmd(self, *args: str) -> list[str]:
        cmd = [str(self.bindir / args[0]), *args[1:]]
        if self.run_as:
            return ["runuser", "-u", self.run_as, "--", *cmd]
        return cmd

    def url(self, dbname: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{dbname}"

    def stop(self) -> None:
        subprocess.run(self._cmd("pg_ctl", "-D", str(self.datadir), "-m", "immediate", "stop"),
                       capture_output=True)
        shutil.rmtree(self.datadir.parent, ignore_errors=True)


def start_cluster() -> Cluster:
    """Start a cluster; as root, it runs as the ``postgres`` system user (initdb refuses root)."""
    bindir = find_bindir()
    if bindir is None:
        raise FileNotFoundError("PostgreSQL binaries (initdb, pg_ctl) not found")
    run_as = None
    base = Path(tempfile.mkdtemp(prefix="animareseau-pg-"))
    if os.geteuid() == 0:
        run_as = "postgres"
        pw = pwd.getpwnam(run_as)
        os.chown(base, pw.pw_uid, pw.pw_gid)
    datadir = base / "data"
    cluster = Cluster(bindir, datadir, _free_port(), run_as)
    subprocess.run(cluster._cmd("initdb", "-D", str(datadir), "-U", "postgres", "-A", "trust",
                                "-E", "UTF8", "--no-locale", "--no-sync"),
                   check=True, capture_output=True)
    opts = (f"-p {cluster.port} -k {base} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=60")
    subprocess.run(cluster._cmd("pg_ctl", "-D", str(datadir), "-o", opts, "-l",
                                str(base / "log"), "-w", "-t", "60", "start"),
                   check=True, capture_output=True)
    return cluster
