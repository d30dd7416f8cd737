from django.core.validators import RegexValidator

# ORPHA codes are Orphanet's numeric disease identifiers, written ORPHA:98896.
validate_orpha_code = RegexValidator(
    r"^ORPHA:[1-9][0-9]{0,6}$",
    "Write an Orphanet code as ORPHA: followed by its number, for example ORPHA:98896.",
    code="invalid_orpha_code",
)

# ICD-10 codes: a letter, two digits, and optionally a dot and one or two more characters.
validate_icd10_code = RegexValidator(
    r"^[A-Z][0-9]{2}(\.[0-9A-Z]{1,2})?$",
    "Write an ICD-10 code as a capital letter and two digits, optionally a dot and one "
    "or two more characters, for example G71.0 or D66.",
    code="invalid_icd10_code",
)
