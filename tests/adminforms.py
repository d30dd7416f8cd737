"""Build the POST data an admin page would send, from the page the test client got."""


def _add_form(data: dict, form) -> None:
    for name in form.fields:
        value = form[name].value()
        key = form.add_prefix(name)
        if value is None:
            continue
        if isinstance(value, bool):
            if value:
                data[key] = "on"
        elif isinstance(value, list | tuple):
            data[key] = [str(item) for item in value]
        else:
            data[key] = str(value)


def form_data(response) -> dict:
    """The change (or add, or history revert) form and its inlines, as the browser posts them."""
    data: dict = {}
    _add_form(data, response.context["adminform"].form)
    for inline in response.context.get("inline_admin_formsets") or []:
        formset = inline.formset
        _add_form(data, formset.management_form)
        for form in formset.forms:
            _add_form(data, form)
    return data
