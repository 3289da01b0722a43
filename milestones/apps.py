from django.apps import AppConfig


class MilestonesConfig(AppConfig):
    name = "milestones"

    def ready(self):
        from core.catalog import catalogue_watch
        from milestones.models import Milestone

        catalogue_watch(Milestone)
