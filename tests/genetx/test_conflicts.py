"""Two people saving the same record: the second save is refused, never a silent overwrite."""

import pytest
from django.urls import reverse

from genetx.models import Revision, StaleRecord, Status
from sources.models import Claim
from tests.adminforms import form_data
from tests.factories import make_claim, make_source, make_therapy
from therapies.models import Therapy

pytestmark = pytest.mark.django_db


def change_url(obj):
    opts = obj._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])


def test_second_save_from_an_old_form_is_refused_with_the_other_change_shown(
    client, publisher, django_user_model
):
    therapy = make_therapy(status=Status.DRAFT, summary="First.", mechanism="")
    other = django_user_model.objects.create_superuser("olga", "olga@example.org", "pw")
    client.force_login(publisher)
    stale = form_data(client.get(change_url(therapy)))
    # Olga opens and saves the same record first.
    client.force_login(other)
    theirs = form_data(client.get(change_url(therapy))) | {"summary": "Olga's summary."}
    assert client.post(change_url(therapy), theirs).status_code == 302
    # Pablo saves from the form he opened before.
    client.force_login(publisher)
    response = client.post(change_url(therapy), stale | {"mechanism": "Pablo's mechanism."})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Not saved: this record changed since you opened it." in page
    assert "olga saved it at" in page
    assert "Summary: “First.” → “Olga&#x27;s summary.”" in page
    therapy.refresh_from_db()
    assert (therapy.summary, therapy.mechanism) == ("Olga's summary.", "")
    # His change is still in the form and hers is there too: saving again keeps both.
    again = form_data(response)
    assert again["summary"] == "Olga's summary." and again["mechanism"] == "Pablo's mechanism."
    assert client.post(change_url(therapy), again).status_code == 302
    therapy.refresh_from_db()
    assert (therapy.summary, therapy.mechanism) == ("Olga's summary.", "Pablo's mechanism.")


def test_stale_inline_row_is_refused(client, publisher):
    therapy = make_therapy(status=Status.DRAFT)
    claim = make_claim(therapy=therapy, status=Status.DRAFT, statement="Original.")
    client.force_login(publisher)
    stale = form_data(client.get(change_url(therapy)))
    other = Claim.objects.get(pk=claim.pk)
    other.statement = "Changed on the claim's own page."
    other.save()
    stale["claims-0-statement"] = "From the old form."
    response = client.post(change_url(therapy), stale)
    assert response.status_code == 200
    assert "Not saved: this record changed since you opened it." in response.content.decode()
    claim.refresh_from_db()
    assert claim.statement == "Changed on the claim's own page."


def test_two_editors_drafting_the_same_live_record_the_second_is_refused(
    client, editor, roles, django_user_model
):
    therapy = make_therapy(summary="Live.")
    second = django_user_model.objects.create_user("eric", password="pw", is_staff=True)
    second.groups.add(roles["Editor"])
    client.force_login(editor)
    edna_form = form_data(client.get(change_url(therapy)))
    client.force_login(second)
    eric_form = form_data(client.get(change_url(therapy)))
    assert client.post(change_url(therapy), eric_form | {"summary": "Eric's."}).status_code == 302
    client.force_login(editor)
    response = client.post(change_url(therapy), edna_form | {"summary": "Edna's."})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Not saved: someone saved newer unpublished changes" in page
    assert "eric" in page
    assert Revision.objects.get().data["fields"]["summary"] == "Eric's."


def test_a_stale_instance_cannot_be_saved_by_any_route():
    source = make_source(title="One.")
    first, second = (type(source).objects.get(pk=source.pk) for _ in range(2))
    first.title = "Two."
    first.save()
    second.title = "Three."
    with pytest.raises(StaleRecord):
        second.save()
    source.refresh_from_db()
    assert source.title == "Two." and source.version == 2


def test_actions_read_the_current_version(client, publisher):
    therapy = make_therapy(status=Status.REVIEW)
    old = Therapy.objects.get(pk=therapy.pk)
    old.summary = "Changed meanwhile."
    old.save()
    client.force_login(publisher)
    client.post(
        reverse("admin:therapies_therapy_changelist"),
        {"action": "publish", "_selected_action": [str(therapy.pk)]},
    )
    therapy.refresh_from_db()
    assert therapy.status == Status.PUBLISHED and therapy.summary == "Changed meanwhile."


def test_publisher_saving_a_form_opened_before_an_editors_draft_is_warned(
    client, editor, publisher
):
    therapy = make_therapy(summary="Live.")
    client.force_login(publisher)
    publisher_form = form_data(client.get(change_url(therapy)))
    client.force_login(editor)
    editor_form = form_data(client.get(change_url(therapy)))
    client.post(change_url(therapy), editor_form | {"summary": "Edna's draft."})
    client.force_login(publisher)
    response = client.post(change_url(therapy), publisher_form | {"summary": "Pablo's."})
    assert response.status_code == 200
    assert "someone saved newer unpublished changes" in response.content.decode()
    therapy.refresh_from_db()
    assert therapy.summary == "Live."
    assert Revision.objects.get().status == "draft"
