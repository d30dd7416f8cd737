from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

# ORPHA codes are Orphanet's numeric disease identifiers, written ORPHA:98896.
validate_orpha_code = RegexValidator(
    r"^ORPHA:[1-9][0-9]{0,6}$",
    _("Write an Orphanet code as ORPHA: followed by its number, for example ORPHA:98896."),
    code="invalid_orpha_code",
)

# ICD-10 codes: a letter, two digits, and optionally a dot and one or two more characters.
validate_icd10_code = RegexValidator(
    r"^[A-Z][0-9]{2}(\.[0-9A-Z]{1,2})?$",
    _(
        "Write an ICD-10 code as a capital letter and two digits, optionally a dot and one "
        "or two more characters, for example G71.0 or D66."
    ),
    code="invalid_icd10_code",
)


# Clinical trial registry numbers ------------------------------------------------------------
#
# ClinicalTrials.gov: NCT and eight digits (NCT04309981). EudraCT, the EU register before
# 2023: year, six digits, two check digits (2019-003374-91). EU CT, the Clinical Trials
# Information System since 2023: year, six digits, two digits, two digits
# (2023-503456-12-00). Stored in exactly these forms, so the unique constraints compare
# like with like.
NCT_PATTERN = r"^NCT[0-9]{8}$"
EUDRACT_PATTERN = r"^[12][0-9]{3}-[0-9]{6}-[0-9]{2}$"
EUCT_PATTERN = r"^[12][0-9]{3}-[0-9]{6}-[0-9]{2}-[0-9]{2}$"

validate_nct_number = RegexValidator(
    NCT_PATTERN,
    _(
        "Write a ClinicalTrials.gov number as NCT followed by eight digits, for example "
        "NCT04309981."
    ),
    code="invalid_nct_number",
)
validate_eudract_number = RegexValidator(
    EUDRACT_PATTERN,
    _("Write a EudraCT number as year-six digits-two digits, for example 2019-003374-91."),
    code="invalid_eudract_number",
)
validate_euct_number = RegexValidator(
    EUCT_PATTERN,
    _(
        "Write an EU CT number as year-six digits-two digits-two digits, for example "
        "2023-503456-12-00."
    ),
    code="invalid_euct_number",
)


def normalise_registry_number(value: str, prefix: str = "") -> str:
    """A registry number as stored: spaces dropped, upper case, a leading label removed.

    Editors paste "nct 04309981", "EudraCT 2019-003374-91" or "EU CT: 2023-...": the
    label (``prefix``) and separators around it are not part of the number.
    """
    text = "".join((value or "").split()).upper()
    for label in ("EUDRACT", "EUCT", "EU-CT"):
        if label != prefix and text.startswith(label):
            text = text[len(label) :].lstrip(":#-")
    if prefix and text.startswith(prefix):
        text = prefix + text[len(prefix) :].lstrip(":#-")
    return text
