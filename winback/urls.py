"""The staff pages of the follow-up work: an advisor's day and campaigns."""

from django.urls import path

from winback.views import campaigns, today

urlpatterns = [
    path("today/", today.today, name="today"),
    path("today/tasks/<int:pk>/outcome/", today.task_outcome, name="task_outcome"),
    path("campaigns/", campaigns.campaign_list, name="campaigns"),
    path("campaigns/new/", campaigns.campaign_create, name="campaign_create"),
    path("campaigns/<int:pk>/", campaigns.campaign_detail, name="campaign_detail"),
    path("campaigns/<int:pk>/approve/", campaigns.campaign_approve, name="campaign_approve"),
]
