from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

# A ROR id is 0, six base-32 characters and a two-digit checksum: 03ba28x55.
validate_ror_id = RegexValidator(
    r"^0[a-hj-km-np-tv-z0-9]{6}[0-9]{2}$",
    _("Write a ROR id as its nine characters, for example 05mc5tw50 (without https://ror.org/)."),
    code="invalid_ror_id",
)

validate_country_code = RegexValidator(
    r"^[A-Z]{2}$",
    _("Use the two-letter ISO 3166 country code in capitals, for example ES or US."),
    code="invalid_country_code",
)
