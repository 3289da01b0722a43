import factory
import yaml
from django.conf import settings

from core.catalog import LoadReport
from milestones.models import Milestone, MilestoneKind
from milestones.services import milestones_load


def milestones_catalogue():
    """Load the real milestone catalogue (milestones/content/milestones.yaml)."""
    with open(settings.BASE_DIR / "milestones/content/milestones.yaml", encoding="utf-8") as handle:
        milestones_load(rows=yaml.safe_load(handle)["milestones"], report=LoadReport())


class MilestoneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Milestone

    code = factory.Sequence(lambda n: f"test-milestone-{n}")
    kind = MilestoneKind.TASKS_COMPLETED
    threshold = factory.Sequence(lambda n: 1000 + n)
    platform = ""
    title = factory.Sequence(lambda n: f"Milestone {n}")
    message = "Well done."
