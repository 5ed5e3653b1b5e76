"""Every language of a translated field at once (Odoo 16's ``get_field_translations`` and
``update_field_translations``); reading and writing one language goes through ``read`` and
``write`` with ``lang`` in the context (``translations``)."""

from ..exceptions import AccessError, UserError
from .rpc import rpc
from .translations import SOURCE_LANG


class TranslateMixin:
    def _translated_field(self, field_name):
        field = self._fields.get(field_name) if isinstance(field_name, str) else None
        if field is None or field.internal:
            raise UserError('Model %s has no field %r' % (self._name, field_name))
        if not getattr(field, 'translate', False) or not field.column:
            raise UserError('Field %s of %s is not translated' % (field_name, self._name))
        if not self._field_allowed(field):
            raise AccessError('You do not have access to field %r of model %s' % (field_name, self._name))
        return field

    @rpc('read', params=('field_name', 'langs'))
    def get_field_translations(self, field_name, langs=None):
        """``([{'lang', 'source', 'value'}, ...], {'translation_type', 'translation_show_source'})``
        for the field of this one record, in ``langs`` or every active language."""
        self.ensure_one()
        field = self._translated_field(field_name)
        self.check_access_rights('read')
        active = sorted(self.env['res.lang'].sudo()._active_codes())
        if langs is not None and (
            not isinstance(langs, (list, tuple)) or not all(isinstance(lang, str) for lang in langs)
        ):
            raise UserError('langs must be a list of language codes')
        wanted = [lang for lang in active if langs is None or lang in langs]
        self._read_columns([field_name])
        values = self.env.cache[(self._name, field_name)].get(self.id) or {}
        if not isinstance(values, dict):
            values = {SOURCE_LANG: values}
        source = values.get(SOURCE_LANG) or ''
        rows = [{'lang': lang, 'source': source, 'value': values.get(lang, '')} for lang in wanted]
        return rows, {
            'translation_type': 'text' if field.type in ('text', 'html') else 'char',
            'translation_show_source': False,
        }

    @rpc('write', params=('field_name', 'translations'), result='true')
    def update_field_translations(self, field_name, translations):
        """Set the field's value in several languages, ``{lang: value}``; a false value removes
        that language's own value (it falls back to English again)."""
        self._translated_field(field_name)
        if not isinstance(translations, dict):
            raise UserError('translations must be a dict of language code to text')
        active = self.env['res.lang'].sudo()._active_codes()
        inactive = sorted(lang for lang in translations if lang not in active)
        if inactive:
            raise UserError(
                'Languages %s are not active (base.language.install activates them)'
                % ', '.join(map(str, inactive))
            )
        removed = [lang for lang, value in translations.items() if not value]
        if SOURCE_LANG in removed:
            raise UserError(
                'The English (US) value is the fallback of every language; write '
                'another one instead of removing it.'
            )
        for lang, value in translations.items():
            if value:
                if not isinstance(value, str):
                    raise UserError('The translation in %s must be text' % lang)
                self.with_context(lang=lang).write({field_name: value})
        if removed and self._ids:
            self.check_access_rights('write')
            self.check_access_rule('write')
            self.env.cr.execute(
                'UPDATE "%s" SET "%s" = "%s" - %%s::text[] WHERE id = ANY(%%s)'
                % (self._table, field_name, field_name),
                (removed, list(self._ids)),
            )
            self.env.transaction.invalidate(self._name, self._ids, [field_name])
            self._modified({field_name})
        return True
