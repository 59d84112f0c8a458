"""Placeholder: being built."""

from django.http import Http404


def customer_list(request, *args, **kwargs):
    raise Http404


def customer_export(request, *args, **kwargs):
    raise Http404


def customer_detail(request, *args, **kwargs):
    raise Http404


def customer_reveal(request, *args, **kwargs):
    raise Http404
