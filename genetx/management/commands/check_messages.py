"""Fail when a translation catalogue is incomplete or its compiled file is out of date.

Each `locale/<language>/LC_MESSAGES/django.po` must have every entry translated and none
fuzzy (a fuzzy entry is a guess gettext left after the English changed: Django ignores it,
so readers would see English), and the committed `django.mo` beside it must hold exactly
the .po's translations. The .mo is committed so that a machine with only Python (no GNU
gettext) serves every language; this check, run in CI, keeps it current.
"""

import re
from pathlib import Path

import polib
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


def _translations(entries) -> dict:
    found = {}
    for entry in entries:
        if entry.obsolete or not entry.msgid:
            continue
        key = (entry.msgctxt or "", entry.msgid, entry.msgid_plural or "")
        if entry.msgid_plural:
            found[key] = tuple(entry.msgstr_plural[n] for n in sorted(entry.msgstr_plural))
        else:
            found[key] = entry.msgstr
    return found


def plural_forms(po) -> list[int]:
    """The plural form indexes the catalogue's Plural-Forms header asks each entry for."""
    found = re.search(r"nplurals\s*=\s*(\d+)", po.metadata.get("Plural-Forms", ""))
    return list(range(int(found.group(1)) if found else 2))


def catalogue_problems(po_path: Path) -> list[str]:
    """What is wrong with one .po and its .mo, in words; empty when nothing is."""
    problems = []
    po = polib.pofile(str(po_path))
    for entry in po.untranslated_entries():
        problems.append(f"{po_path}: untranslated: {entry.msgid!r}")
    for entry in po.fuzzy_entries():
        problems.append(f"{po_path}: fuzzy: {entry.msgid!r}")
    forms = plural_forms(po)
    for entry in po.translated_entries():
        if entry.msgid_plural and (
            not all(entry.msgstr_plural.values()) or sorted(entry.msgstr_plural) != forms
        ):
            # gettext picks the form by the header's formula; a form the entry lacks
            # falls back to English for every count that picks it.
            problems.append(
                f"{po_path}: a plural form is missing (the header asks for {len(forms)}): "
                f"{entry.msgid!r}"
            )
    mo_path = po_path.with_suffix(".mo")
    if not mo_path.exists():
        problems.append(f"{mo_path}: missing; run `make messages`")
        return problems
    expected = _translations(po.translated_entries())
    compiled = _translations(polib.mofile(str(mo_path)))
    if compiled != expected:
        stale = sorted(
            key[1]
            for key in expected.keys() | compiled.keys()
            if expected.get(key) != compiled.get(key)
        )
        shown = ", ".join(repr(msgid) for msgid in stale[:5])
        problems.append(
            f"{mo_path}: out of date with the .po ({len(stale)} entries differ: {shown}); "
            "run `make messages`"
        )
    return problems


class Command(BaseCommand):
    help = "Fail if a .po catalogue has untranslated or fuzzy entries or its .mo is stale."

    def handle(self, *args, **options):
        catalogues = sorted(
            path
            for folder in settings.LOCALE_PATHS
            for path in Path(folder).glob("*/LC_MESSAGES/django.po")
        )
        if not catalogues:
            raise CommandError("No catalogue found under LOCALE_PATHS.")
        problems = [problem for path in catalogues for problem in catalogue_problems(path)]
        if problems:
            raise CommandError("\n".join(problems))
        names = ", ".join(str(path.parent.parent.name) for path in catalogues)
        self.stdout.write(f"Catalogues complete and compiled: {names}.")
