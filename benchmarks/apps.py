"""App config for the benchmarks (``bench_scoring``, ``bench_winback``, ``bench_api``,
``bench_pages``)."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BenchmarksConfig(AppConfig):
    name = "benchmarks"
    verbose_name = _("Benchmarks")
