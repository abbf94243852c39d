from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """Demo data (``manage.py seed_demo``): it walks every stage, so it sits on top of all of them."""

    name = "demo"
    verbose_name = _("演示数据")
