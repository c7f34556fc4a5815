"""The ``postgres_url`` fixture: a fresh database, reachable through SQLAlchemy."""

from __future__ import annotations

from urllib.parse import urlsplit

from sqlalchemy import create_engine, text


def test_postgres_url_is_a_fresh_database(postgres_url: str) -> None:
    assert postgres_url.startswith("postgresql+psycopg://")
    name = urlsplit(postgres_url).path.lstrip("/")
    assert name.startswith("lsbo_test_")

    engine = create_engine(postgres_url)
    try:
        with engine.connect() as connection:
            assert connection.execute(text("SELECT 1")).scalar_one() == 1
            assert connection.execute(text("SELECT current_database()")).scalar_one() == name
            tables = connection.execute(
                text("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'")
            ).scalar_one()
            assert tables == 0
    finally:
        engine.dispose()
