from django.conf import settings
from django.urls import path

from core import views

app_name = "core"
urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("favicon.ico", views.favicon, name="favicon"),
]
if getattr(settings, "LOAD_BENCHMARK_FLOOR", False):  # the load benchmark's floor, never on in a deployment
    urlpatterns.append(path("load-floor", views.load_floor, name="load_floor"))
