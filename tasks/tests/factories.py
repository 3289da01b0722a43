import factory

from core.catalog import catalogue_changed
from tasks.models import RoadmapTask, phase_and_week


class RoadmapTaskFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RoadmapTask

    code = factory.Sequence(lambda n: f"test-task-{n}")
    platform = "youtube"
    day = 1
    order = 1
    phase = factory.LazyAttribute(lambda t: phase_and_week(t.day)[0])
    week = factory.LazyAttribute(lambda t: phase_and_week(t.day)[1])
    category = "create"
    minutes = 30
    title = factory.LazyAttribute(lambda t: f"Task for day {t.day}")
    body = "Do the thing."
    why = "Because it helps."
    success = "You see it worked."


def roadmap_build(platform="youtube", days=range(1, 91)):
    """One task per day for a platform: {day: task}."""
    tasks = RoadmapTask.objects.bulk_create(
        [RoadmapTaskFactory.build(platform=platform, day=day, code=f"{platform}-test-d{day:02d}") for day in days]
    )
    catalogue_changed()  # bulk_create sends no signal
    return {task.day: task for task in tasks}
