import pytest

from core.catalog import catalogue_cached, catalogue_changed, catalogue_version
from core.models import CatalogueVersion


def _counting_loader():
    loads = []

    def load():
        loads.append(1)
        return len(loads)

    return load, loads


@pytest.mark.django_db
def test_a_copy_is_kept_while_the_version_stays_and_reloaded_after_a_change():
    catalogue_changed()  # the migration's first version is gone once a test has flushed the tables
    load, loads = _counting_loader()
    version = catalogue_version()
    assert catalogue_cached("test.kept", version, load) == catalogue_cached("test.kept", version, load) == 1

    catalogue_changed()

    assert catalogue_version() != version
    assert catalogue_cached("test.kept", catalogue_version(), load) == 2 and len(loads) == 2


@pytest.mark.django_db
def test_without_a_version_nothing_is_kept():
    CatalogueVersion.objects.all().delete()  # e.g. after a test flushed the tables
    load, loads = _counting_loader()

    assert catalogue_version() is None
    catalogue_cached("test.none", None, load)
    catalogue_cached("test.none", None, load)

    assert len(loads) == 2
    catalogue_changed()
    assert catalogue_version() is not None
