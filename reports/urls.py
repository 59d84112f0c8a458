"""The staff pages that read across apps: customers, the monthly report, the dashboard and
the data access log."""

from django.urls import path

from reports.views import access_log, customers, dashboard, monthly

urlpatterns = [
    path("customers/", customers.customer_list, name="customer_list"),
    path("customers/export.xlsx", customers.customer_export, name="customer_export"),
    path("customers/<int:pk>/", customers.customer_detail, name="customer_detail"),
    path(
        "customers/<int:pk>/reveal/<str:field>/",
        customers.customer_reveal,
        name="customer_reveal",
    ),
    path("reports/monthly/", monthly.report_monthly_latest, name="report_monthly_latest"),
    path(
        "reports/monthly/<str:month>.xlsx", monthly.report_monthly_xlsx, name="report_monthly_xlsx"
    ),
    path("reports/monthly/<str:month>/", monthly.report_monthly, name="report_monthly"),
    path("dashboard/", dashboard.dashboard, name="dashboard"),
    path("access-log/", access_log.access_log, name="access_log"),
]
