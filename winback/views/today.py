"""Placeholder: being built."""

from django.http import Http404


def today(request, *args, **kwargs):
    raise Http404


def task_outcome(request, *args, **kwargs):
    raise Http404
