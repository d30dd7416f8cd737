"""Content in English and Spanish (django-modeltranslation), and what keeps it consistent.

Each translated field `name` gets `name_en` and `name_es` columns beside it (registered in
each app's translation.py); readers get the value in the page's language, falling back to
English when the Spanish one is empty. The original `name` column stays, and always holds
the English text: the database's search triggers, the history tables and the API read it.
"""

import functools
import types

from django.conf import settings
from django.db.models import F, TextField, Value
from django.db.models.functions import Coalesce, NullIf
from django.db.models.signals import pre_save
from django.utils.translation import get_language
from modeltranslation import manager as modeltranslation_manager
from modeltranslation.translator import TranslationOptions, translator
from modeltranslation.utils import build_localized_fieldname

DEFAULT = settings.MODELTRANSLATION_DEFAULT_LANGUAGE


def register(model, fields: tuple[str, ...], *, unique: tuple[str, ...] = ()):
    """Translate `fields` of `model` and of its history model (django-simple-history copies
    every field of the record into its history row, so the history must have them too).

    Fields that are unique store an empty translation as NULL, or two records without a
    Spanish name would collide on "".
    """
    options = type(
        f"{model.__name__}TranslationOptions",
        (TranslationOptions,),
        {"fields": fields, "empty_values": dict.fromkeys(unique)},
    )
    translator.register(model, options)
    history = getattr(model, "history", None)
    if history is not None:
        translator.register(history.model, options)
        # The history model lists the fields it copies and compares (bulk history, diffs,
        # revert) once, when it is built, before these existed. The other languages' only:
        # the original field already stands for English (a diff names "summary", not
        # "summary" and "summary_en").
        tracked = list(history.model.tracked_fields)
        known = {field.name for field in tracked}
        tracked += [
            model._meta.get_field(build_localized_fieldname(name, code))
            for name in fields
            for code in settings.MODELTRANSLATION_LANGUAGES
            if code != DEFAULT and build_localized_fieldname(name, code) not in known
        ]
        history.model.tracked_fields = tracked
    for name in fields:
        field = model._meta.get_field(name)
        field.pre_save = types.MethodType(_english_pre_save, field)
    pre_save.connect(_empty_is_missing, sender=model, dispatch_uid=f"translations-{model.__name__}")


def _empty_is_missing(sender, instance, **kwargs):
    """An empty translation is stored as NULL, however it was typed (an admin text box gives
    ""), so "not translated" has one value and history shows no change where none was made."""
    for name in translated_fields(sender):
        for code in settings.MODELTRANSLATION_LANGUAGES:
            if code == DEFAULT:
                continue
            column = build_localized_fieldname(name, code)
            if getattr(instance, column, None) == "":
                setattr(instance, column, None)


def translated_fields(model) -> tuple[str, ...]:
    """The translated fields of a model (or a record's), or () when it has none."""
    if not isinstance(model, type):
        model = type(model)
    try:
        return tuple(translator.get_options_for_model(model).fields)
    except Exception:  # NotRegistered
        return ()


def _english_pre_save(field, model_instance, add):
    """What a save writes to the original column: the English value whichever language is
    active (the field's descriptor would give the active language's), or, for a record
    that has only another language's text, that text."""
    english = getattr(model_instance, build_localized_fieldname(field.name, DEFAULT), None)
    if english in (None, ""):
        english = getattr(model_instance, field.name)
    if english is None and not field.null:
        english = ""
    return english


def english_copy(model, field_name: str) -> bool:
    """Whether the field is the English column of a translated field (name_en): the
    original column (name) stands for it in forms, revisions and comparisons."""
    for name in translated_fields(model):
        if field_name == build_localized_fieldname(name, DEFAULT):
            return True
    return False


def stored_value(instance, field):
    """A field's stored value: a translated field's English value, whatever the language
    active now (its descriptor would give the active language's)."""
    if field.name in translated_fields(type(instance)):
        return getattr(instance, build_localized_fieldname(field.name, DEFAULT))
    return field.value_from_object(instance)


def set_stored_value(instance, field, value) -> None:
    """Set a stored value; for a translated field, its English value."""
    if field.name in translated_fields(type(instance)):
        setattr(instance, build_localized_fieldname(field.name, DEFAULT), value)
        instance.__dict__[field.name] = value
    else:
        setattr(instance, field.attname, value)


def with_spanish(fieldsets, model):
    """Admin fieldsets with each translated field followed by its Spanish one, side by side
    in the same fieldset, and without the English copies (the original field is English)."""
    names = translated_fields(model)
    if not names:
        return fieldsets

    def spread(fields):
        out = []
        for item in fields:
            if isinstance(item, (list, tuple)):
                out.append(type(item)(spread(item)))
                continue
            if english_copy(model, item) or item in {f"{n}_es" for n in names}:
                continue
            out.append(item)
            if item in names:
                out.append(build_localized_fieldname(item, "es"))
        return out

    return [
        (title, {**options, "fields": spread(options["fields"])}) for title, options in fieldsets
    ]


def searched_in_every_language(search_fields, model) -> list[str]:
    """Admin search fields with each translated field's columns in every language after it
    ("therapy__name", then "therapy__name_en" and "therapy__name_es"), with the same lookup
    prefix (^, =, @).

    A translated field's lookup reads the column of the admin's active language only
    (django-modeltranslation rewrites `name` to `name_en` in English, `name_es` in
    Spanish), and an editor's word may be in either language, whichever the admin's."""
    return with_languages(search_fields, model, settings.MODELTRANSLATION_LANGUAGES)


def with_languages(search_fields, model, codes) -> list[str]:
    """Lookups with each translated field's columns in `codes` after it ("name", then
    "name_es" for codes ["es"]), with the same lookup prefix (^, =, @); others unchanged."""
    out = []
    for term in search_fields or ():
        out.append(term)
        prefix = term[:1] if term[:1] in "^=@" else ""
        path = term[len(prefix) :].split("__")
        target = model
        try:
            for name in path[:-1]:
                target = target._meta.get_field(name).related_model
        except Exception:  # a lookup (__iexact) or an unknown name: leave the term alone
            continue
        if target is None or path[-1] not in translated_fields(target):
            continue
        for code in codes:
            localized = "__".join([*path[:-1], build_localized_fieldname(path[-1], code)])
            out.append(prefix + localized)
    return list(dict.fromkeys(out))


# django-modeltranslation's own factory, which builds a class on every call.
_build_multilingual = modeltranslation_manager.multilingual_queryset_factory


@functools.cache
def _multilingual_class(old_cls):
    return _build_multilingual(old_cls, instantiate=False)


def multilingual_queryset_factory(old_cls, instantiate=True):
    """django-modeltranslation's factory, with one class per queryset class (see
    reuse_multilingual_queryset_classes). At module level, since a pickled queryset names
    it to be rebuilt."""
    new_cls = _multilingual_class(old_cls)
    return new_cls() if instantiate else new_cls


def reuse_multilingual_queryset_classes() -> None:
    """Make django-modeltranslation build its queryset class for a model once, not on
    every query.

    Its manager turns each new queryset of a translated model with a custom QuerySet
    (ours all have one) into a "Multilingual" subclass built on the spot
    (`multilingual_queryset_factory`): a new class per `Model.objects...` call, a dozen per
    page. Each costs the class creation, leaves a reference cycle for the garbage
    collector, and starts with a cold method cache, so every QuerySet method looked up on
    it walks the whole MRO. The subclass depends only on the class it extends, so one per
    class is the same behaviour. The manager looks the factory up in its module at each
    call, which is where this one goes.
    """
    modeltranslation_manager.multilingual_queryset_factory = multilingual_queryset_factory


def in_shown_language(model, lookup: str):
    """An expression reading `lookup` from `model` (a field here or across relations:
    "conditions__name") in the active language, falling back to English where it is empty.

    django-modeltranslation does this for a model's own fields, in its rows and in
    values(); across a relation values() reads the original column, which holds English,
    so a Spanish page listed its facets' condition and modality names in English.
    """
    *path, name = lookup.split("__")
    related = model
    for part in path:
        related = related._meta.get_field(part).related_model
    if name not in translated_fields(related):
        return F(lookup)
    shown = (get_language() or DEFAULT).split("-")[0]
    codes = dict.fromkeys([shown, DEFAULT])
    columns = [NullIf(F(f"{lookup}_{code}"), Value("")) for code in codes]
    # Each language's column is a field of its own class: say what the value is.
    return Coalesce(*columns, output_field=TextField()) if len(columns) > 1 else columns[0]
