"""Placeholder: being built."""

from django.http import Http404


def segments(request, *args, **kwargs):
    raise Http404
