import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

DOI_PATTERN = re.compile(r"^10\.\d{4,9}/\S+$")
DOI_PREFIXES = ("https://doi.org/", "http://doi.org/", "https://dx.doi.org/", "http://dx.doi.org/")


def normalise_doi(value: str) -> str:
    """The bare, lower-case DOI: DOIs are case-insensitive and often pasted as links."""
    doi = (value or "").strip()
    lowered = doi.lower()
    for prefix in DOI_PREFIXES:
        if lowered.startswith(prefix):
            doi = doi[len(prefix) :]
            break
    if doi.lower().startswith("doi:"):
        doi = doi[4:].strip()
    return doi.lower()


def validate_doi(value: str) -> None:
    # Field validation runs before Source.clean() normalises, so judge the DOI as it will be
    # stored: a pasted https://doi.org/ link is accepted, as the field's help text promises.
    if value and not DOI_PATTERN.match(normalise_doi(value)):
        raise ValidationError(
            _(
                "%(value)s is not a DOI. A DOI starts with 10., a registrant number and a slash, "
                "for example 10.1016/j.medcli.2021.10.005."
            ),
            code="invalid_doi",
            params={"value": value},
        )
