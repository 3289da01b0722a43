from django.apps import AppConfig


class RemindersConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "reminders"

    def ready(self):
        from accounts.signals import reminder_inputs_changed
        from reminders.services import schedule_on_profile_change

        reminder_inputs_changed.connect(schedule_on_profile_change, dispatch_uid="reminders.schedule")
