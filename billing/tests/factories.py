import factory
import yaml
from django.conf import settings

from billing.models import Entitlement, EntitlementStatus
from billing.services import plans_load
from core.catalog import LoadReport


def plans_catalogue():
    """Load the real plan catalogue (billing/content/plans.yaml) into the test database."""
    with open(settings.BASE_DIR / "billing/content/plans.yaml", encoding="utf-8") as handle:
        plans_load(rows=yaml.safe_load(handle)["plans"], report=LoadReport())


class EntitlementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Entitlement

    plan_id = "pro"
    status = EntitlementStatus.ACTIVE
    current_period_end = None
    source = "admin"
