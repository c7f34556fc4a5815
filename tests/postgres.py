"""A fresh PostgreSQL database per test, for the storage tests (see tests/conftest.py).

The server comes from the environment: ``LSBO_TEST_POSTGRES_URL`` is a SQLAlchemy URL
(``postgresql+psycopg://user:password@host:port/database``) of a role allowed to create
databases; ``.ci/postgres`` starts such a server and prints its URL. Without a usable server
the tests that need one are skipped, unless ``LSBO_REQUIRE_POSTGRES=1`` (as in CI), which
makes them fail instead.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import Any, NoReturn
from urllib.parse import parse_qsl, unquote, urlsplit, urlunsplit

import pytest

URL_ENV = "LSBO_TEST_POSTGRES_URL"
REQUIRE_ENV = "LSBO_REQUIRE_POSTGRES"
SKIP_REASON = "no PostgreSQL server: set LSBO_TEST_POSTGRES_URL (see .ci/postgres)"


def _unavailable(detail: str) -> NoReturn:
    """Fail when a server is required, else skip; never returns."""
    if os.environ.get(REQUIRE_ENV) == "1":
        pytest.fail(f"{REQUIRE_ENV}=1 but {detail}", pytrace=False)
    pytest.skip(SKIP_REASON)


def _connect_kwargs(url: str) -> dict[str, Any]:
    """psycopg.connect() keyword arguments for a SQLAlchemy ``postgresql+psycopg`` URL."""
    parts = urlsplit(url)
    kwargs: dict[str, Any] = dict(parse_qsl(parts.query))
    if parts.hostname:
        kwargs["host"] = parts.hostname
    if parts.port:
        kwargs["port"] = parts.port
    if parts.username:
        kwargs["user"] = unquote(parts.username)
    if parts.password:
        kwargs["password"] = unquote(parts.password)
    kwargs["dbname"] = unquote(parts.path.lstrip("/")) or "postgres"
    kwargs.setdefault("connect_timeout", 5)
    return kwargs


def _with_database(url: str, name: str) -> str:
    """The same URL, pointing at database ``name``."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """SQLAlchemy URL of a new, empty database, dropped after the test."""
    url = os.environ.get(URL_ENV, "").strip()
    if not url:
        _unavailable(f"{URL_ENV} is not set")
    if not url.startswith(("postgresql://", "postgresql+")):
        pytest.fail(f"{URL_ENV} is not a PostgreSQL URL: {url!r}", pytrace=False)
    try:
        import psycopg
        from psycopg import sql
    except ImportError as exc:
        _unavailable(f"psycopg is not installed ({exc})")

    kwargs = _connect_kwargs(url)
    try:
        admin = psycopg.connect(autocommit=True, **kwargs)
    except psycopg.Error as exc:
        _unavailable(f"cannot connect to {URL_ENV}: {exc}".strip())

    name = f"lsbo_test_{uuid.uuid4().hex[:12]}"
    with admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield _with_database(url, name)
    finally:
        with psycopg.connect(autocommit=True, **kwargs) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
