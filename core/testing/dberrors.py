"""Database errors as Django raises them, for tests that cannot provoke the real one."""

import psycopg
from django.db import utils

# Django's DatabaseErrorWrapper checks the driver's classes in this order (most specific first).
_DJANGO_CLASSES = (
    utils.DataError,
    utils.OperationalError,
    utils.IntegrityError,
    utils.InternalError,
    utils.ProgrammingError,
    utils.NotSupportedError,
    utils.DatabaseError,
    utils.InterfaceError,
    utils.Error,
)


def as_django(error):
    """A psycopg error wrapped the way Django wraps it: Django's class of the same name, with the
    psycopg error (and its SQLSTATE) as __cause__. Works whatever database the test runs on."""
    django_class = next(cls for cls in _DJANGO_CLASSES if isinstance(error, getattr(psycopg, cls.__name__)))
    wrapped = django_class(*error.args)
    wrapped.__cause__ = error
    return wrapped
