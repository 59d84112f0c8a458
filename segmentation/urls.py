"""The staff pages of scoring results: the segment explorer."""

from django.urls import path

from segmentation.views import segments

urlpatterns = [
    path("segments/", segments.segments, name="segments"),
]
