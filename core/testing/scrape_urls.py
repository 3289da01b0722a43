"""The product's URLs plus one that runs a durable service for as long as it is told (a
planted slow transaction), for the real-scrape test's server only."""

import time

from django.http import JsonResponse
from django.urls import path

from core.transactions import durable_service
from creatorcompass import urls as product_urls


@durable_service("testing.slow_transaction")
def slow_transaction(*, seconds):
    time.sleep(seconds)


def slow_view(request):
    slow_transaction(seconds=float(request.GET.get("seconds", "0")))
    return JsonResponse({"slept": request.GET.get("seconds", "0")})


urlpatterns = [path("testing/slow-transaction", slow_view), *product_urls.urlpatterns]
handler404 = product_urls.handler404
handler500 = product_urls.handler500
