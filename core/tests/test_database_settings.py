"""Database connection settings the application relies on."""

import pytest
from django.db import connection


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only")
def test_the_application_connections_run_postgresql_without_jit(db):
    """Issue 9: JIT compilation cost more than the queries it compiled in the province benchmark."""
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"
