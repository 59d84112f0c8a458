"""Placeholder: being built."""

from django.http import Http404


def access_log(request, *args, **kwargs):
    raise Http404
