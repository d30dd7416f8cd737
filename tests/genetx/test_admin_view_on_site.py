"""'View on site' takes staff from the admin to the record's public page, drafts included."""

import pytest
from django.urls import reverse

from genetx.models import Status
from tests.factories import make_claim, make_condition, make_institution, make_source, make_therapy

pytestmark = pytest.mark.django_db

BUILDERS = [make_therapy, make_condition, make_institution, make_source, make_claim]


@pytest.mark.parametrize("builder", BUILDERS, ids=lambda builder: builder.__name__)
def test_view_on_site_previews_a_draft_for_staff_and_hides_it_from_readers(client, editor, builder):
    draft = builder(status=Status.DRAFT)
    opts = draft._meta
    client.force_login(editor)
    change = client.get(
        reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[draft.pk])
    )
    assert change.context["original"] == draft
    view_on_site = reverse("admin:view_on_site", args=[change.context["content_type_id"], draft.pk])
    assert view_on_site in change.content.decode()
    preview = client.get(view_on_site, follow=True)
    assert preview.status_code == 200
    assert preview.request["PATH_INFO"] == draft.get_absolute_url()
    assert "Draft — not public" in preview.content.decode()
    client.logout()
    assert client.get(draft.get_absolute_url()).status_code == 404
