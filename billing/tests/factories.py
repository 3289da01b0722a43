import factory
from django.conf import settings

from billing.models import Entitlement, EntitlementStatus
from billing.services.grants import plans_load
from core.catalog import LoadReport, read_yaml


def plans_catalogue():
    """Load the real plan catalogue (billing/content/plans.yaml) into the test database."""
    plans_load(rows=read_yaml(settings.BASE_DIR / "billing/content/plans.yaml")["plans"], report=LoadReport())


class EntitlementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Entitlement

    plan_id = "pro"
    status = EntitlementStatus.ACTIVE
    current_period_end = None
    source = "admin"
