"""Labels of the codes the pure planner uses, for people (translatable)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from winback import planning

#: Why a candidate of a round got no task.
SKIP_CAUSE_LABELS = {
    planning.REFUSES_CONTACT: _("refuses all contact"),
    planning.COOLING_DOWN: _("worked recently (cool-down)"),
    planning.OPEN_TASK: _("already has an open task of this kind"),
    planning.EARLIER_RULE: _("covered by an earlier rule"),
    planning.NO_OWNER: _("no active advisor or owner"),
    planning.NO_CHANNEL: _("no allowed channel"),
    planning.CONTACT_CAP: _("contact cap reached"),
}
