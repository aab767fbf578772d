from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "基础（区划、机构、用户、审计）"

    def ready(self):
        from django.db.backends.signals import connection_created

        # The lockout audit receiver (django-axes signal) and the key-fingerprint system check.
        from core import keycheck, login_throttle  # noqa: F401

        connection_created.connect(_restrict_sqlite_file, dispatch_uid="guitu_restrict_sqlite_file")


_restricted = False


def _restrict_sqlite_file(sender, connection, **kwargs):
    """Issue 8, hole 10: the SQLite database file (and its WAL/SHM) readable by the service user only."""
    global _restricted
    if _restricted or connection.vendor != "sqlite":
        return
    from core.filecrypt import restrict, sqlite_files

    for path in sqlite_files():
        restrict(path)
    _restricted = True
