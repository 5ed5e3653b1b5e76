"""The environment model code runs in: cursor, user, context, registry, and the record cache.

Environments built on the same cursor share one :class:`Transaction`, so ``sudo()`` and
``with_context()`` see the same cached values; the cache dies with the transaction.
"""

SUPERUSER_ID = 1


class Transaction:
    """Per-cursor state of the ORM: the record cache and what one transaction's calls share.

    Every attribute is declared here (``__slots__``): a transaction lives as long as its cursor,
    and state nobody declared would be state nobody clears.
    """

    __slots__ = (
        'registry',
        'cache',
        'user_groups',
        'computing',
        'display_names',
        'xmlids_seen',
        'reflecting',
    )

    def __init__(self, registry):
        #: the registry the transaction's calls use (a rebuilt one after custom models changed)
        self.registry = registry
        #: ``{(model_name, field_name): {id: value}}``
        self.cache = {}
        #: ``{uid: group ids}`` read once per transaction for access checks
        self.user_groups = {}
        #: ``(model_name, field_name)`` pairs whose compute method is running: what it assigns is
        #: a cached value, not a write
        self.computing = set()
        #: ``{(model_name, id, lang): display name}`` shown by many2one reads
        self.display_names = {}
        #: xml ids the data loader met in this transaction (``ir.model.data``)
        self.xmlids_seen = set()
        #: True while ``ir.model`` reflects the code's models (their rows are not the client's)
        self.reflecting = False

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
