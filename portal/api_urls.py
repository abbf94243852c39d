"""REST API v1 (SPEC §8). Each app contributes its views from ``<app>/api.py``."""

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import SimpleRouter

from accounts.api import OrganisationView, TokenDetailView, TokenListView, TokenView
from allocations.api import AllocationRunsView
from core.api import not_found
from programs.api import CallViewSet, ProgramViewSet

router = SimpleRouter()
router.register("programs", ProgramViewSet, basename="program")
router.register("calls", CallViewSet, basename="call")

urlpatterns = [
    path("auth/token/", TokenView.as_view(), name="token"),
    path("auth/tokens/", TokenListView.as_view(), name="token-list"),
    path("auth/tokens/<int:pk>/", TokenDetailView.as_view(), name="token-detail"),
    path("organisation/", OrganisationView.as_view(), name="organisation"),
    path("calls/<int:call_id>/allocation-runs/", AllocationRunsView.as_view(), name="allocation-runs"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    path("", include(router.urls)),
    path("", include("applications.api_urls")),
    path("", include("notices.api_urls")),
    path("", include("publicity.api_urls")),
    path("", include("payouts.api_urls")),
    # Last: any other path under /api/v1/ ending in a slash (an unknown endpoint, or an id that is not a number)
    # answers with the API's JSON error body instead of the site's HTML 404 page. Paths without the slash still
    # get APPEND_SLASH's redirect first (/api/v1/docs → /api/v1/docs/).
    re_path(r"^(?:.*/)?$", not_found, name="not-found"),
]
