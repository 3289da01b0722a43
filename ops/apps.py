from django.apps import AppConfig


class OpsConfig(AppConfig):
    """Cross-app operations on the top floor: the integrity audit and its repair, content
    loading and the ops pages. It may import every app; no app imports it."""

    name = "ops"
