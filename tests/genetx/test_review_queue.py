"""The review queue, the compare view, preview and notifications, route by route."""

import pytest
from django.core import mail
from django.urls import reverse

from genetx.content_types import CONTENT_TYPES
from genetx.models import Revision, RevisionStatus
from genetx.revisions import word_diff
from tests.adminforms import form_data
from tests.factories import make_claim, make_condition, make_therapy, make_user

pytestmark = pytest.mark.django_db


def change_url(obj):
    opts = obj._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])


QUEUE = reverse("admin:genetx_revision_changelist")


def propose(client, user, therapy, *, submit=True, **changes) -> Revision:
    client.force_login(user)
    data = form_data(client.get(change_url(therapy))) | changes
    if submit:
        data["status"] = "review"
    response = client.post(change_url(therapy), data)
    assert response.status_code == 302
    return Revision.objects.open().for_object(therapy).get()


def routes(revision) -> dict[str, str]:
    return {
        "queue": QUEUE,
        "compare": reverse("admin:genetx_revision_change", args=[revision.pk]),
        "preview": reverse("admin:genetx_revision_preview", args=[revision.pk]),
    }


def test_queue_lists_submitted_revisions_with_a_summary(client, editor, publisher):
    therapy = make_therapy(name="Elevidys")
    propose(client, editor, therapy, summary="New summary.", mechanism="New mechanism.")
    client.force_login(publisher)
    page = client.get(QUEUE).content.decode()
    (row,) = client.get(QUEUE).context["cl"].result_list
    assert (row.object_repr, row.summary, row.created_by) == (
        "Elevidys",
        "summary, mechanism",
        editor,
    )
    assert "Elevidys" in page


def test_queue_counts_new_records_in_review(client, publisher):
    from genetx.models import Status

    make_therapy(status=Status.REVIEW)
    client.force_login(publisher)
    page = client.get(QUEUE).content.decode()
    assert "Therapies: 1" in page and "?status__exact=review" in page


def test_queue_mine_filter_and_index_counts(client, editor, publisher, roles):
    other = make_user(username="eve", groups=[roles["Editor"]])
    propose(client, editor, make_therapy(name="Mine"), summary="A.")
    propose(client, other, make_therapy(name="Theirs"), summary="B.")
    client.force_login(editor)
    mine = client.get(QUEUE + "?whose=mine").context["cl"].result_list
    assert [r.object_repr for r in mine] == ["Mine"]
    everyone = client.get(QUEUE).context["cl"].result_list
    assert sorted(r.object_repr for r in everyone) == ["Mine", "Theirs"]
    index = client.get(reverse("admin:index")).content.decode()
    assert "2 changes awaiting review" in index and "1 of them yours" in index


def test_compare_view_shows_fields_words_m2m_and_parts(client, editor, publisher):
    condition = make_condition(name="Duchenne muscular dystrophy")
    therapy = make_therapy(
        summary="A gene therapy that delivers a shortened dystrophin gene to muscle cells."
    )
    make_claim(therapy=therapy, statement="Approved in 2023.")
    client.force_login(editor)
    data = form_data(client.get(change_url(therapy)))
    data |= {
        "status": "review",
        "summary": "A gene therapy that delivers a micro-dystrophin gene to skeletal muscle cells.",
        "conditions": [str(condition.pk)],
        "claims-0-statement": "Approved in June 2023.",
    }
    client.post(change_url(therapy), data)
    revision = Revision.objects.get()
    client.force_login(publisher)
    page = client.get(routes(revision)["compare"]).content.decode()
    assert "<del>shortened dystrophin</del><ins>micro-dystrophin</ins>" in page
    assert "gene to <ins>skeletal </ins>muscle cells." in page
    assert "<ins>+ Duchenne muscular dystrophy</ins>" in page
    assert "Changed: Approved in 2023." in page
    assert "Approved in <ins>June </ins>2023." in page
    assert "Therapy:" not in page


def test_word_diff_escapes_text():
    assert word_diff("a <b>", "a <i>") == "a <del>&lt;b&gt;</del><ins>&lt;i&gt;</ins>"


def test_preview_renders_the_revision_with_the_banner(client, editor, publisher):
    therapy = make_therapy(summary="Live summary.")
    revision = propose(client, editor, therapy, summary="Proposed summary.")
    client.force_login(publisher)
    response = client.get(routes(revision)["preview"])
    page = response.content.decode()
    assert response.status_code == 200
    assert "Proposed summary." in page and "Live summary." not in page
    assert "Unpublished changes — not public." in page
    assert "no-cache" in response["Cache-Control"]


def test_preview_shows_claims_as_the_revision_changes_them(client, editor, publisher):
    therapy = make_therapy()
    make_claim(therapy=therapy, statement="The live statement.")
    client.force_login(editor)
    data = form_data(client.get(change_url(therapy)))
    data |= {"status": "review", "claims-0-statement": "The proposed statement."}
    client.post(change_url(therapy), data)
    revision = Revision.objects.get()
    client.force_login(publisher)
    page = client.get(routes(revision)["preview"]).content.decode()
    assert "The proposed statement." in page and "The live statement." not in page
    client.logout()
    assert "The live statement." in client.get(therapy.get_absolute_url()).content.decode()


def test_preview_includes_parts_the_revision_adds(client, editor, publisher):
    from tests.factories import make_institution

    therapy = make_therapy()
    institution = make_institution(name="Hospital Clínic de Barcelona")
    client.force_login(editor)
    data = form_data(client.get(change_url(therapy)))
    data |= {
        "status": "review",
        "programmes-TOTAL_FORMS": "1",
        "programmes-0-institution": str(institution.pk),
        "programmes-0-role": "treats",
        "programmes-0-status": "draft",
    }
    client.post(change_url(therapy), data)
    revision = Revision.objects.get()
    client.force_login(publisher)
    page = client.get(routes(revision)["preview"]).content.decode()
    assert "Hospital Clínic de Barcelona" in page


def test_history_versions_can_be_compared(client, publisher):
    therapy = make_therapy(summary="One.")
    therapy.summary = "Two."
    therapy.save()
    old, new = therapy.history.order_by("history_date")
    client.force_login(publisher)
    url = reverse(
        "admin:genetx_revision_history_compare",
        args=["therapies", "therapy", therapy.pk, old.history_id, new.history_id],
    )
    page = client.get(url).content.decode()
    assert "<del>One.</del>" in page and "<ins>Two.</ins>" in page


# Permission, route by route --------------------------------------------------------------


def test_anonymous_is_sent_to_login_on_every_route(client, editor):
    revision = propose(client, editor, make_therapy(), summary="X.")
    client.logout()
    for name, url in routes(revision).items():
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"], name


def test_staff_without_roles_is_refused_on_every_route(client, editor):
    revision = propose(client, editor, make_therapy(), summary="X.")
    client.force_login(make_user(username="nobody", is_staff=True))
    for name, url in routes(revision).items():
        assert client.get(url).status_code == 403, name
    response = client.post(routes(revision)["compare"], {"action": "approve"})
    assert response.status_code == 403
    assert Revision.objects.get().status == RevisionStatus.SUBMITTED


def test_editor_sees_queue_compare_and_preview(client, editor):
    revision = propose(client, editor, make_therapy(), summary="X.")
    client.force_login(editor)
    for name, url in routes(revision).items():
        assert client.get(url).status_code == 200, name
    page = client.get(routes(revision)["compare"]).content.decode()
    assert "Approve and publish" not in page


def test_author_may_discard_their_draft(client, editor):
    therapy = make_therapy(summary="Live.")
    revision = propose(client, editor, therapy, submit=False, summary="Never mind.")
    response = client.post(routes(revision)["compare"], {"action": "discard"}, follow=True)
    assert response.status_code == 200
    revision.refresh_from_db()
    assert revision.status == RevisionStatus.DISCARDED
    assert client.get(change_url(therapy)).context["adminform"].form["summary"].value() == "Live."


def test_unknown_revision_is_404(client, publisher):
    client.force_login(publisher)
    assert client.get(reverse("admin:genetx_revision_change", args=[999999])).status_code == 404


# Notifications ----------------------------------------------------------------------------


def test_publishers_are_emailed_on_submit_and_the_author_on_decision(
    client, editor, publisher, django_capture_on_commit_callbacks
):
    editor.email, publisher.email = "edna@example.org", "pablo@example.org"
    editor.save()
    publisher.save()
    therapy = make_therapy(name="Elevidys")
    with django_capture_on_commit_callbacks(execute=True):
        revision = propose(client, editor, therapy, summary="New.")
    assert [m.to for m in mail.outbox] == [["pablo@example.org"]]
    assert "Elevidys" in mail.outbox[0].subject
    assert f"/admin/genetx/revision/{revision.pk}/change/" in mail.outbox[0].body
    mail.outbox.clear()
    client.force_login(publisher)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(routes(revision)["compare"], {"action": "reject", "comment": "Cite it."})
    assert [m.to for m in mail.outbox] == [["edna@example.org"]]
    assert "Cite it." in mail.outbox[0].body


def test_a_mail_failure_never_loses_the_revision(
    client, editor, publisher, settings, django_capture_on_commit_callbacks, caplog
):
    publisher.email = "pablo@example.org"
    publisher.save()
    # A mail server that refuses connections: nothing listens on port 1.
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 1, 2
    therapy = make_therapy()
    with django_capture_on_commit_callbacks(execute=True):
        revision = propose(client, editor, therapy, summary="Kept.")
    revision.refresh_from_db()
    assert revision.status == RevisionStatus.SUBMITTED
    assert revision.data["fields"]["summary"] == "Kept."
    assert "Could not send 1 review notification" in caplog.text


# Query counts ------------------------------------------------------------------------------


def _many_revisions(n: int, author) -> None:
    from django.contrib.contenttypes.models import ContentType

    from therapies.models import Therapy

    content_type = ContentType.objects.get_for_model(Therapy)
    therapies = [make_therapy() for _ in range(n)]
    Revision.objects.bulk_create(
        Revision(
            content_type=content_type,
            object_id=t.pk,
            object_repr=t.name,
            status=RevisionStatus.SUBMITTED,
            base_version=t.version,
            data={"fields": {}, "changed": [], "m2m": {}, "m2m_changed": [], "children": {}},
            summary="summary",
            created_by=author,
            updated_by=author,
        )
        for t in therapies
    )


@pytest.mark.parametrize("rows", [3, 30])
def test_queue_query_count_does_not_grow_with_rows(
    client, publisher, editor, rows, django_assert_num_queries
):
    _many_revisions(rows, editor)
    client.force_login(publisher)
    client.get(QUEUE)  # warm the content type cache
    with django_assert_num_queries(QUEUE_QUERIES):
        response = client.get(QUEUE)
    assert response.status_code == 200


def test_compare_query_count(client, editor, publisher, django_assert_num_queries):
    therapy = make_therapy()
    make_claim(therapy=therapy)
    client.force_login(editor)
    data = form_data(client.get(change_url(therapy)))
    data |= {"status": "review", "summary": "New.", "claims-0-statement": "New statement."}
    client.post(change_url(therapy), data)
    revision = Revision.objects.get()
    client.force_login(publisher)
    url = routes(revision)["compare"]
    client.get(url)
    with django_assert_num_queries(COMPARE_QUERIES):
        assert client.get(url).status_code == 200


# Session, user, the queue's page of rows (with record kind and author joined), its count,
# the content-type filter's choices, the admin's permission lookups, and one count of new
# records in review per content type: the same whatever the number of revisions.
QUEUE_QUERIES = 7 + len(CONTENT_TYPES)
# Session, user, the revision (joined with its people), the live record, its claims as
# stored, and the names the changes mention: bounded by the size of the change, not the
# database.
COMPARE_QUERIES = 7
