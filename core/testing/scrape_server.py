"""Settings of the real-scrape test's live server (core/tests/test_real_scrape.py): the test
settings with core.testing.scrape_urls, which adds one URL that plants a slow transaction.

    DJANGO_SETTINGS_MODULE=core.testing.scrape_server gunicorn creatorcompass.wsgi
"""

from creatorcompass.settings_test import *  # noqa: F403

ROOT_URLCONF = "core.testing.scrape_urls"
