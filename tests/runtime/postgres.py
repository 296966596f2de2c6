"""A PostgreSQL server for the runtime tests that need one whatever the suite runs on: the
server of DATABASE_URL in the PostgreSQL run, else a throw-away cluster of
scripts/postgres-test.sh on a free port, in a folder of its own, stopped after the session."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.runtime.desks import free_port

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "postgres-test.sh"


def _installed() -> bool:
    return any(Path("/usr/lib/postgresql").glob("*/bin/initdb"))


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """`postgres://user@host:port`, without a database name."""
    given = urlsplit(os.environ.get("DATABASE_URL", ""))
    if given.scheme.startswith("postgres"):
        yield f"{given.scheme}://{given.netloc}"
        return
    if not _installed():
        if os.environ.get("DESKSIDE_REQUIRE_POSTGRES") == "1":
            pytest.fail("PostgreSQL is not installed (scripts/system-deps.sh installs it)")
        pytest.skip("PostgreSQL is not installed")
    # Not under pytest's folder: the server runs as the postgres user, who cannot enter it.
    folder = Path(tempfile.mkdtemp(prefix="deskside-pg-"))
    folder.chmod(0o755)
    port = str(free_port())
    env = {**os.environ, "PG_TEST_DIR": str(folder), "PGPORT": port, "PGDATABASE": "postgres"}
    subprocess.run(["bash", str(SCRIPT), "start"], env=env, check=True, capture_output=True)
    try:
        yield f"postgres://postgres@127.0.0.1:{port}"
    finally:
        subprocess.run(["bash", str(SCRIPT), "stop"], env=env, check=False, capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def new_database(postgres_server) -> Iterator[Callable[[], str]]:
    """Makes empty databases on the server (each dropped after the test); returns its URL."""
    import psycopg

    made: list[str] = []

    def make() -> str:
        name = f"deskside_test_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(f"{postgres_server}/postgres", autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        made.append(name)
        return f"{postgres_server}/{name}"

    yield make
    with psycopg.connect(f"{postgres_server}/postgres", autocommit=True) as connection:
        for name in made:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
