"""The environment model code runs in: cursor, user, context, registry, and the record cache.

Environments built on the same cursor share one :class:`Transaction`, so ``sudo()`` and
``with_context()`` see the same cached values; the cache dies with the transaction.
"""

SUPERUSER_ID = 1


class Transaction:
    """Per-cursor state: the record cache and the work queued for the end of a write."""

    def __init__(self, registry):
        self.registry = registry
        # {(model_name, field_name): {id: value}}
        self.cache = {}
        self.user_groups = {}

    def invalidate(self, model_name=None, ids=None, field_names=None):
        """Forget cached values: everything, a model's, or some records' fields."""
        if model_name is None:
            self.cache.clear()
            return
        for key in list(self.cache):
            if key[0] != model_name or (field_names is not None and key[1] not in field_names):
                continue
            if ids is None:
                del self.cache[key]
            else:
                values = self.cache[key]
                for rid in ids:
                    values.pop(rid, None)


class Environment:
    """``env[model_name]`` gives an empty recordset of that model."""

    def __init__(self, cr, uid, context=None, registry=None, su=None):
        transaction = getattr(cr, 'orm_transaction', None)
        if transaction is None:
            if registry is None:
                raise ValueError('the first environment on a cursor needs the registry')
            transaction = cr.orm_transaction = Transaction(registry)
        self.cr = cr
        self.uid = uid
        self.context = dict(context or {})
        self.transaction = transaction
        self.su = (uid == SUPERUSER_ID) if su is None else su

    @property
    def registry(self):
        """The registry of the transaction: custom models created in it replace it for the rest
        of the transaction (``Registry.rebuild``)."""
        return self.transaction.registry

    @property
    def cache(self):
        return self.transaction.cache

    def __getitem__(self, model_name):
        try:
            cls = self.registry.models[model_name]
        except KeyError:
            raise KeyError(model_name) from None
        return cls(self, ())

    def __contains__(self, model_name):
        return model_name in self.registry.models

    def __call__(self, cr=None, user=None, context=None, su=None):
        uid = self.uid if user is None else (user.id if hasattr(user, '_ids') else user)
        context = self.context if context is None else context
        if su is None:
            su = self.su if user is None else None
        return Environment(cr or self.cr, uid, context, su=su)

    @property
    def user(self):
        return self(su=True)['res.users'].browse(self.uid)

    @property
    def company(self):
        return self.user.company_id

    @property
    def lang(self):
        """The context's language when it is an active one, else English (US): what translated
        fields are read and written in."""
        known = self.__dict__.get('_lang')
        if known is not None:
            return known
        lang = self.context.get('lang')
        if not lang or lang == 'en_US' or not isinstance(lang, str) or 'res.lang' not in self.registry.models:
            lang = 'en_US'
        elif lang not in self(su=True)['res.lang']._active_codes():
            lang = 'en_US'
        self.__dict__['_lang'] = lang
        return lang

    def is_superuser(self):
        return self.su

    def ref(self, xmlid, raise_if_not_found=True):
        """The record named by the external id ``module.name``."""
        res_id = self['ir.model.data']._xmlid_to_res_id(xmlid, raise_if_not_found)
        if not res_id:
            return None
        model = self['ir.model.data']._xmlid_to_model(xmlid)
        return self[model].browse(res_id)

    def invalidate_all(self):
        self.transaction.invalidate()
