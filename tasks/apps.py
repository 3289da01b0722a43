from django.apps import AppConfig


class TasksConfig(AppConfig):
    name = "tasks"

    def ready(self):
        from core.catalog import catalogue_watch
        from tasks.models import RoadmapTask

        catalogue_watch(RoadmapTask)
