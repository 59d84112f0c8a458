"""Placeholder: being built."""

from django.http import Http404


def report_monthly_latest(request, *args, **kwargs):
    raise Http404


def report_monthly(request, *args, **kwargs):
    raise Http404


def report_monthly_xlsx(request, *args, **kwargs):
    raise Http404
