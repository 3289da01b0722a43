import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "creatorcompass.settings")

application = get_wsgi_application()

from core.checks import refuse_to_start_without_the_outbox  # noqa: E402 (needs the apps loaded)

refuse_to_start_without_the_outbox()
