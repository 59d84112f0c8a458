"""App config for the demo dealership (``seed_demo``, ``seed_demo_work``): the roof, which no
product app imports."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    name = "demo"
    verbose_name = _("Demo dealership")
