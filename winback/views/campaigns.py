"""Placeholder: being built."""

from django.http import Http404


def campaign_list(request, *args, **kwargs):
    raise Http404


def campaign_create(request, *args, **kwargs):
    raise Http404


def campaign_detail(request, *args, **kwargs):
    raise Http404


def campaign_approve(request, *args, **kwargs):
    raise Http404
