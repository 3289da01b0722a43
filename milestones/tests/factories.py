import factory
from django.conf import settings

from core.catalog import LoadReport, read_yaml
from milestones.models import Milestone, MilestoneKind
from milestones.services import milestones_load


def milestones_catalogue():
    """Load the real milestone catalogue (milestones/content/milestones.yaml)."""
    path = settings.BASE_DIR / "milestones/content/milestones.yaml"
    milestones_load(rows=read_yaml(path)["milestones"], report=LoadReport())


class MilestoneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Milestone

    code = factory.Sequence(lambda n: f"test-milestone-{n}")
    kind = MilestoneKind.TASKS_COMPLETED
    threshold = factory.Sequence(lambda n: 1000 + n)
    platform = ""
    title = factory.Sequence(lambda n: f"Milestone {n}")
    message = "Well done."
