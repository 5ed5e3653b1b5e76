"""Translated fields: one value per language, in one ``jsonb`` column.

A ``Char``/``Text``/``Html`` field declared with ``translate=True`` stores
``{"en_US": "Chair", "fr_FR": "Chaise"}``. Reading, searching, sorting and grouping use the value
of the environment's language (``env.lang``, from the context's ``lang`` when that language is
active) and fall back to English (US), the source language. Writing sets the value of that
language only; the English value is filled in when the record has none yet, so every record has a
fallback.
"""

import re

from psycopg2.extras import Json

SOURCE_LANG = 'en_US'
#: what a language code looks like (``fr_FR``, ``ar_001``, ``sr@latin``): it is written into SQL
#: text, so anything else stands for the source language
LANG_CODE = re.compile(r'^[a-z]{2,3}(_[A-Z]{2}|_[0-9]{3})?(@[a-z]+)?$')


def valid_lang(lang):
    return isinstance(lang, str) and bool(LANG_CODE.match(lang))


def pick(values, lang):
    """The value of ``lang`` among ``values`` (a dict by language), else the English one."""
    if not isinstance(values, dict):
        return values
    if lang in values:
        return values[lang]
    if SOURCE_LANG in values:
        return values[SOURCE_LANG]
    return next(iter(values.values()), None)


def column_sql(alias, name, lang):
    """SQL of the value in ``lang`` of translated column ``name`` of ``alias``."""
    column = '"%s"."%s"' % (alias, name)
    if lang == SOURCE_LANG or not valid_lang(lang):
        return "(%s->>'%s')" % (column, SOURCE_LANG)
    return "COALESCE(%s->>'%s', %s->>'%s')" % (column, lang, column, SOURCE_LANG)


class InLanguage(Json):
    """A value written in one language: stored as it is for a new record (with the English value
    too), merged into the other languages' values for an existing one (see :func:`assignment`)."""

    def __init__(self, text, lang):
        values = {SOURCE_LANG: text}
        if lang != SOURCE_LANG and valid_lang(lang):
            values[lang] = text
        super().__init__(values)
        self.text = text
        self.lang = lang if valid_lang(lang) else SOURCE_LANG


def assignment(name, value):
    """``(SQL, params)`` of the ``SET`` clause that writes ``value`` to column ``name``."""
    if isinstance(value, InLanguage):
        return (
            '"%s" = %%s::jsonb || COALESCE("%s", \'{}\'::jsonb) || %%s::jsonb' % (name, name),
            [Json({SOURCE_LANG: value.text}), Json({value.lang: value.text})],
        )
    return '"%s" = %%s' % name, [value]


def check_values(values, limit=None):
    """``values``, a dict of translations given whole (server code, a copy), checked."""
    if not values:
        return None
    if not isinstance(values, dict) or not all(
        valid_lang(lang) and isinstance(text, str) for lang, text in values.items()
    ):
        raise ValueError('translations must be a dict of language code to text')
    if limit:
        values = {lang: text[:limit] for lang, text in values.items()}
    return Json(values)
