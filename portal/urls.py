from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from programs import views as programs_views

admin.site.site_header = _("质量品牌专项资金 · 管理后台")
admin.site.site_title = _("质量品牌专项资金管理后台")
admin.site.index_title = _("工作台")

urlpatterns = [
    path("admin/dashboard/", include("dashboard.urls")),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("me/applications/", include("applications.urls")),
    path("me/evaluations/", include("evaluations.urls")),
    path("me/", include("accounts.urls")),
    path("programs/", include("programs.urls")),
    path("publicity/", include("publicity.urls")),
    path("", include("notices.urls")),
    path("api/v1/", include(("portal.api_urls", "api"), namespace="api")),
    path("", programs_views.home, name="home"),
    path("", include("core.urls")),
]
