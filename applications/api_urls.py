"""Applications endpoints of the REST API v1 (being built)."""

urlpatterns: list = []
