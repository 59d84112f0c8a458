"""Admin site branding; the models' admins live in their apps."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

admin.site.site_header = _("DealerCRM · service marketing")
admin.site.site_title = _("DealerCRM")
admin.site.index_title = _("Customers, vehicles and contacts")
