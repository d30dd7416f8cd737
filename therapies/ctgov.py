"""Reading a ClinicalTrials.gov API v2 study (JSON) into a draft trial.

A study comes from a saved file (the JSON the registry's API or its "Download" gives) or,
when the server has network access, from https://clinicaltrials.gov/api/v2/studies/<NCT>,
fetched with a timeout. `preview()` maps the protocol section (identification, status,
design, sponsor, conditions, locations) to the trial's fields and says, field by field,
what it could not read; `trial_create()` saves one draft trial in one transaction, or
nothing. Conditions, sponsor and sites are matched to records already in GeneTx by name
and never created: unmatched names are listed for the editor.
"""

import datetime
import json
import re
import urllib.error
import urllib.request
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import capfirst, slugify
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from genetx.imports import MAX_IMPORT_BYTES, ImportFileError, read_bounded
from genetx.models import DatePrecision, Status
from hospitals.models import Institution

from .models import Condition, Trial, TrialFigureKind, TrialPhase, TrialStatus
from .validators import (
    EUCT_PATTERN,
    EUDRACT_PATTERN,
    NCT_PATTERN,
    normalise_registry_number,
    validate_nct_number,
)

API_URL = "https://clinicaltrials.gov/api/v2/studies/{nct}"
FETCH_TIMEOUT = 10  # seconds; the admin request waits for it
# A study record is a few hundred kilobytes at most; the upload limit of the other imports.
MAX_STUDY_BYTES = MAX_IMPORT_BYTES

# ClinicalTrials.gov's designInfo.phases lists, as one phase of ours.
PHASES = {
    ("EARLY_PHASE1",): TrialPhase.EARLY_PHASE_1,
    ("PHASE1",): TrialPhase.PHASE_1,
    ("PHASE1", "PHASE2"): TrialPhase.PHASE_1_2,
    ("PHASE2",): TrialPhase.PHASE_2,
    ("PHASE2", "PHASE3"): TrialPhase.PHASE_2_3,
    ("PHASE3",): TrialPhase.PHASE_3,
    ("PHASE4",): TrialPhase.PHASE_4,
    ("NA",): TrialPhase.NOT_APPLICABLE,
}
STATUSES = {value.upper(): value for value in TrialStatus.values if value}
# Secondary identifier types that are European registrations, and the field each fills.
SECONDARY_IDS = {"EUDRACT_NUMBER": "eudract_number", "CTIS": "euct_number"}
LABELS = {"eudract_number": _("EudraCT number"), "euct_number": _("EU CT number")}
LABELS_PLURAL = {"eudract_number": _("EudraCT numbers"), "euct_number": _("EU CT numbers")}
KINDS = {"ACTUAL": TrialFigureKind.ACTUAL, "ESTIMATED": TrialFigureKind.ANTICIPATED}


class StudyError(ImportFileError):
    """A study that cannot be read at all (not JSON, not a study, unreachable)."""


@dataclass
class StudyPreview:
    """What importing the study would save, and what could not be read."""

    values: dict = field(default_factory=dict)
    conditions: list = field(default_factory=list)  # matched Condition records
    sponsor: Institution | None = None
    sites: list = field(default_factory=list)  # matched Institution records
    unmatched: dict = field(default_factory=dict)  # "conditions"/"sponsor"/"sites": names
    errors: dict = field(default_factory=dict)  # field: message
    existing: Trial | None = None

    @property
    def can_import(self) -> bool:
        return not self.errors and self.existing is None

    def rows(self) -> list[tuple[str, str]]:
        """(label, text) pairs as the editor reads them: field names and choices in the
        admin's language, dates to their precision, links by name; empty fields left out."""
        trial = Trial(**self.values)
        texts = {
            "phase": trial.get_phase_display(),
            "overall_status": trial.get_overall_status_display(),
            "start_date": _dated(trial.start_date_display, trial.get_start_date_kind_display()),
            "completion_date": _dated(
                trial.completion_date_display, trial.get_completion_date_kind_display()
            ),
            "enrolment": trial.enrolment_display,
            "conditions": ", ".join(str(c) for c in self.conditions),
            "sponsor": str(self.sponsor or ""),
        }
        rows = []
        for name in PREVIEW_FIELDS:
            text = texts[name] if name in texts else self.values.get(name) or ""
            if text:
                rows.append((_label(name), str(text)))
        if self.sites:
            rows.append((gettext("Sites"), ", ".join(str(site) for site in self.sites)))
        return rows

    def error_rows(self) -> list[tuple[str, str]]:
        """The unreadable fields, each under its label."""
        return [(_label(name), message) for name, message in self.errors.items()]

    def unmatched_rows(self) -> list[tuple[str, str]]:
        """Names the study gives that GeneTx has no record of, under their field's label."""
        return [
            (gettext("Sites") if name == "sites" else _label(name), "; ".join(names))
            for name, names in self.unmatched.items()
        ]


# The preview's rows, in the order of the trial form.
PREVIEW_FIELDS = (
    "nct_number",
    "eudract_number",
    "euct_number",
    "acronym",
    "title",
    "slug",
    "summary",
    "phase",
    "overall_status",
    "start_date",
    "completion_date",
    "enrolment",
    "conditions",
    "sponsor",
)


def _label(name: str) -> str:
    return capfirst(Trial._meta.get_field(name).verbose_name)


def _dated(date: str, kind: str) -> str:
    """14 March 2025 (actual)."""
    return f"{date} ({kind.lower()})" if date and kind else date


def read_study_file(upload) -> dict:
    """The JSON object of an uploaded study file, or StudyError saying why not."""
    if not (upload.name or "").lower().endswith(".json"):
        raise StudyError(gettext("Choose a ClinicalTrials.gov study file (.json)."))
    return parse_json(read_bounded(upload))


def parse_json(raw: bytes) -> dict:
    if len(raw) > MAX_STUDY_BYTES:
        raise StudyError(
            gettext(
                "The study is larger than %(limit)s MB; a single study record is much "
                "smaller. Is it the right file?"
            )
            % {"limit": MAX_STUDY_BYTES // 1024 // 1024}
        )
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise StudyError(gettext("The file is not UTF-8 text.")) from exc
    except json.JSONDecodeError as exc:
        raise StudyError(
            gettext(
                "The file is not complete JSON (line %(line)s, column %(column)s: %(error)s). "
                "Was the download cut short?"
            )
            % {"line": exc.lineno, "column": exc.colno, "error": exc.msg}
        ) from exc
    if not isinstance(data, dict) or not isinstance(data.get("protocolSection"), dict):
        raise StudyError(
            gettext(
                "This JSON is not a ClinicalTrials.gov API v2 study: it has no "
                "“protocolSection” object. Save the study from "
                "https://clinicaltrials.gov/api/v2/studies/<NCT number>."
            )
        )
    return data


def fetch_study(nct_number: str, *, url: str = API_URL, timeout: float = FETCH_TIMEOUT) -> dict:
    """The study from ClinicalTrials.gov's API, or StudyError (bad number, offline, slow)."""
    number = normalise_registry_number(nct_number, "NCT")
    try:
        validate_nct_number(number)
    except ValidationError as exc:
        raise StudyError(exc.messages[0]) from exc
    address = url.format(nct=number)
    request = urllib.request.Request(address, headers={"Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            raw = response.read(MAX_STUDY_BYTES + 1)
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            raise StudyError(
                gettext("ClinicalTrials.gov has no study %(number)s.") % {"number": number}
            ) from exc
        raise StudyError(
            gettext("ClinicalTrials.gov answered with an error (%(code)s).") % {"code": exc.code}
        ) from exc
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise StudyError(
            gettext(
                "Could not reach ClinicalTrials.gov within %(seconds)s seconds (%(reason)s). "
                "This server may have no internet access: save the study's JSON on a "
                "computer that has, and upload the file instead."
            )
            % {"seconds": f"{timeout:g}", "reason": reason}
        ) from exc
    return parse_json(raw)


def _get(data, *path):
    for key in path:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def _text(value, limit: int) -> str:
    return value.strip()[:limit] if isinstance(value, str) else ""


def _date(struct, name: str, preview: StudyPreview):
    """(date, precision, kind) of a ClinicalTrials.gov date struct: 2020-05-27 or 2020-05."""
    if struct is None:
        return None, "", ""
    text = _get(struct, "date")
    if not isinstance(text, str):
        preview.errors[name] = gettext("The date is not text.")
        return None, "", ""
    kind = KINDS.get(str(_get(struct, "type") or "").upper(), "")
    try:
        if len(text) == 7:
            return datetime.date.fromisoformat(text + "-01"), DatePrecision.MONTH, kind
        if len(text) == 4:
            return datetime.date(int(text), 1, 1), DatePrecision.YEAR, kind
        return datetime.date.fromisoformat(text), DatePrecision.DAY, kind
    except ValueError:
        preview.errors[name] = gettext("“%(value)s” is not a date (YYYY-MM-DD or YYYY-MM).") % {
            "value": text[:40]
        }
        return None, "", ""


def _by_name(model, names):
    found, missing = [], []
    for name in names:
        record = model.objects.filter(name__iexact=name).first()
        (found if record else missing).append(record or name)
    return found, missing


def preview(data: dict) -> StudyPreview:
    """Map a study's protocol section to trial fields; errors per field, nothing saved."""
    result = StudyPreview()
    protocol = data["protocolSection"]
    ident = _get(protocol, "identificationModule") or {}
    nct = normalise_registry_number(_text(_get(ident, "nctId"), 30), "NCT")
    if not re.match(NCT_PATTERN, nct):
        result.errors["nct_number"] = gettext(
            "The study's identification.nctId “%(value)s” is not an NCT number "
            "(NCT and eight digits)."
        ) % {"value": nct[:30]}
    acronym = _text(_get(ident, "acronym"), 60)
    title = _text(_get(ident, "briefTitle"), 500) or _text(_get(ident, "officialTitle"), 500)
    if not title:
        result.errors["title"] = gettext("The study has no briefTitle or officialTitle.")
    values = {
        "nct_number": nct,
        "acronym": acronym,
        "title": title,
        "slug": slugify(acronym or nct)[:120],
        "summary": _text(_get(protocol, "descriptionModule", "briefSummary"), 5000),
    }
    status = _get(protocol, "statusModule") or {}
    overall = str(_get(status, "overallStatus") or "").upper()
    values["overall_status"] = STATUSES.get(overall, "")
    if overall and overall not in STATUSES:
        result.errors["overall_status"] = gettext("Unknown overall status “%(value)s”.") % {
            "value": overall[:40]
        }
    for name, key in (
        ("start_date", "startDateStruct"),
        ("completion_date", "completionDateStruct"),
    ):
        date, precision, kind = _date(_get(status, key), name, result)
        values |= {name: date, f"{name}_precision": precision, f"{name}_kind": kind}
    design = _get(protocol, "designModule") or {}
    phases = _get(design, "phases") or []
    if not isinstance(phases, list) or not all(isinstance(p, str) for p in phases):
        result.errors["phase"] = gettext("designModule.phases is not a list of phases.")
        phases = []
    values["phase"] = PHASES.get(tuple(sorted(p.upper() for p in phases)), "")
    if phases and not values["phase"]:
        result.errors["phase"] = gettext("Unknown phases %(phases)s.") % {
            "phases": ", ".join(phases)[:80]
        }
    enrolment = _get(design, "enrollmentInfo") or {}
    count = _get(enrolment, "count")
    if count is not None and (isinstance(count, bool) or not isinstance(count, int) or count < 0):
        result.errors["enrolment"] = gettext(
            "enrollmentInfo.count is not a number of participants."
        )
        count = None
    values["enrolment"] = count
    values["enrolment_kind"] = (
        KINDS.get(str(_get(enrolment, "type") or "").upper(), "") if count is not None else ""
    )
    values |= _european_numbers(ident, result)
    result.values = values
    names = _get(protocol, "conditionsModule", "conditions") or []
    names = [_text(n, 200) for n in names if isinstance(n, str)][:50]
    result.conditions, missing = _by_name(Condition, names)
    if missing:
        result.unmatched["conditions"] = missing
    sponsor = _text(_get(protocol, "sponsorCollaboratorsModule", "leadSponsor", "name"), 250)
    if sponsor:
        found, missing = _by_name(Institution, [sponsor])
        result.sponsor = found[0] if found else None
        if missing:
            result.unmatched["sponsor"] = missing
    locations = _get(protocol, "contactsLocationsModule", "locations") or []
    facilities = [_text(_get(loc, "facility"), 250) for loc in locations[:500]]
    result.sites, missing = _by_name(Institution, [f for f in dict.fromkeys(facilities) if f])
    if missing:
        result.unmatched["sites"] = missing
    if nct and "nct_number" not in result.errors:
        result.existing = Trial.objects.filter(nct_number=nct).first()
    if result.existing is None:
        # The same trial recorded from its European registration first is found too.
        for name in SECONDARY_IDS.values():
            if values.get(name) and name not in result.errors:
                result.existing = Trial.objects.filter(**{name: values[name]}).first()
                if result.existing:
                    break
    return result


def _european_numbers(ident, result: StudyPreview) -> dict:
    """The EudraCT and EU CT numbers among a study's secondary identifiers.

    ClinicalTrials.gov lists a European registration as a secondary id of type
    EUDRACT_NUMBER (the EudraCT register) or CTIS (the EU CT number of the Clinical Trials
    Information System). A number that is not one is reported on its field, like any
    other unreadable field; a second, different number of one kind too, since the trial
    keeps one of each.
    """
    found = {}
    infos = _get(ident, "secondaryIdInfos") or []
    if not isinstance(infos, list):
        result.errors["eudract_number"] = gettext(
            "identificationModule.secondaryIdInfos is not a list."
        )
        return found
    for info in infos[:100]:
        name = SECONDARY_IDS.get(str(_get(info, "type") or "").upper())
        if name is None:
            continue
        number = normalise_registry_number(_text(_get(info, "id"), 40))
        pattern = EUDRACT_PATTERN if name == "eudract_number" else EUCT_PATTERN
        if not re.match(pattern, number):
            result.errors[name] = gettext(
                "The secondary id “%(value)s” is not a valid %(kind)s."
            ) % {"value": number[:40], "kind": LABELS[name]}
        elif found.get(name, number) != number:
            result.errors[name] = gettext(
                "The study gives two %(kinds)s: %(first)s, %(second)s."
            ) % {"kinds": LABELS_PLURAL[name], "first": found[name], "second": number}
        else:
            found[name] = number
    return found


@transaction.atomic
def trial_create(*, study: StudyPreview, user) -> Trial:
    """Save the previewed study as one draft trial (with its matched links), or nothing."""
    if not study.can_import:
        raise ValidationError(
            study.errors or {"nct_number": gettext("This trial is already recorded.")}
        )
    trial = Trial(**study.values, status=Status.DRAFT)
    if Trial.objects.filter(slug=trial.slug).exists():
        trial.slug = slugify(f"{trial.slug}-{trial.nct_number}")[:120]
    trial.sponsor = study.sponsor
    trial._history_user = user
    trial._change_reason = "Imported from a ClinicalTrials.gov study"
    trial.full_clean()
    trial.save()
    trial.conditions.set(study.conditions)
    for institution in study.sites:
        trial.sites.create(institution=institution)
    return trial
