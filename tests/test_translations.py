"""Simplified Chinese and English ship complete (the product is Chinese first).

Two checks: the catalogues have no untranslated or fuzzy entry and their compiled .mo files
match the .po sources; and every model, field and choice label renders in Chinese, which
catches a string added to the code without running ``make messages``.
"""

from __future__ import annotations

import re
from pathlib import Path

import polib
import pytest
from django.apps import apps
from django.utils import translation

ROOT = Path(__file__).resolve().parents[1]
LOCALES = ("zh_Hans", "en")
PROJECT_APPS = ("customers", "vehicles", "contacts", "segmentation", "winback", "reports", "api")
_HAN = re.compile(r"[\u4e00-\u9fff]")


def _catalogue(locale: str) -> polib.POFile:
    path = ROOT / "locale" / locale / "LC_MESSAGES" / "django.po"
    assert path.exists(), f"missing catalogue {path}"
    return polib.pofile(str(path))


@pytest.mark.parametrize("locale", LOCALES)
def test_catalogue_is_complete(locale):
    po = _catalogue(locale)
    assert len(po) > 100
    untranslated = [e.msgid for e in po.untranslated_entries() if not e.obsolete]
    fuzzy = [e.msgid for e in po.fuzzy_entries()]
    assert untranslated == [], f"{locale}: untranslated {untranslated[:10]}"
    assert fuzzy == [], f"{locale}: fuzzy {fuzzy[:10]}"


@pytest.mark.parametrize("locale", LOCALES)
def test_compiled_catalogue_matches_its_source(locale):
    po = _catalogue(locale)
    mo_path = ROOT / "locale" / locale / "LC_MESSAGES" / "django.mo"
    mo = polib.mofile(str(mo_path))
    compiled = {
        (e.msgctxt, e.msgid): (e.msgstr, tuple(sorted(e.msgstr_plural.items()))) for e in mo
    }
    for entry in po.translated_entries():
        key = (entry.msgctxt, entry.msgid)
        assert key in compiled, f"{locale}: {entry.msgid!r} not compiled; run `make messages`"
        expected = (entry.msgstr, tuple(sorted(entry.msgstr_plural.items())))
        assert compiled[key] == expected, f"{locale}: {entry.msgid!r} stale in .mo"


def _model_labels():
    for model in apps.get_models():
        if model._meta.app_label not in PROJECT_APPS:
            continue
        yield model._meta.label, "verbose_name", model._meta.verbose_name
        yield model._meta.label, "verbose_name_plural", model._meta.verbose_name_plural
        for field in model._meta.get_fields():
            if not hasattr(field, "verbose_name") or field.auto_created:
                continue
            yield model._meta.label, field.name, field.verbose_name
            for value, label in getattr(field, "flatchoices", None) or []:
                yield model._meta.label, f"{field.name}={value}", label


def test_every_model_field_and_choice_label_has_a_chinese_translation():
    missing = []
    with translation.override("zh-hans"):
        for model, what, label in _model_labels():
            if not _HAN.search(str(label)):
                missing.append(f"{model}.{what}: {label}")
    assert missing == []
