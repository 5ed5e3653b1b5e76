"""Addon tests: the base class addon test code uses, and the runner behind ``openerp-server test``.

An addon keeps its tests in a ``tests/`` package, one ``test_*.py`` module per subject, with
unittest-style classes deriving from :class:`TransactionCase`::

    from openerp_lite.tests import TransactionCase

    class TestThing(TransactionCase):
        def test_create(self):
            thing = self.env['x.thing'].create({'name': 'a'})
            self.assertEqual(thing.name, 'a')

Each test runs in a transaction that is rolled back afterwards, so tests neither see nor leave
each other's records. They are run by ``openerp-server test -d DB -m module`` (each test on a
cursor of its own), or right after a module is installed or upgraded with ``--test-enable``
(each test inside a savepoint of the loading transaction, which is rolled back to).
"""

import contextlib
import importlib
import logging
import pkgutil
import sys
import unittest

from . import sql_db
from .orm.environment import SUPERUSER_ID, Environment

_logger = logging.getLogger(__name__)

#: (registry, cursor or None) of the tests being run; set by :func:`run_module_tests`
_target = None

_SAVEPOINT = 'openerp_lite_test_case'


def _refuse_commit():
    raise AssertionError('A test must not commit: its transaction is rolled back at its end.')


class TransactionCase(unittest.TestCase):
    """A test whose database changes are all rolled back when it ends.

    Attributes ready in every test: ``self.registry``, ``self.cr`` (``commit()`` is refused),
    ``self.uid`` (the superuser) and ``self.env``, a superuser environment on that cursor; use
    ``self.env(user=...)`` to act as another user. ``assertRaises`` runs its block in a savepoint,
    so a refused write leaves nothing behind.
    """

    def setUp(self):
        super().setUp()
        if _target is None:
            raise RuntimeError('TransactionCase tests are run by "openerp-server test -d DB -m MODULE"')
        self.registry, shared_cr = _target
        if shared_cr is None:
            self.cr = sql_db.cursor(self.registry.dbname)
            self.addCleanup(self.cr.close)  # closing an unfinished transaction rolls it back
        else:
            self.cr = shared_cr
            self._enter_savepoint(shared_cr)
        self.cr.commit = _refuse_commit
        self.addCleanup(vars(self.cr).pop, 'commit', None)
        # whatever a test put in the registry's caches may name rolled-back rows
        self.addCleanup(self.registry.clear_caches)
        self.uid = SUPERUSER_ID
        self.env = Environment(self.cr, SUPERUSER_ID, {}, self.registry)

    def assertRaises(self, exception, *args, **kwargs):
        """As ``unittest``'s, inside a savepoint: what the failing code wrote before raising (a
        record created and then refused by a constraint) is undone, and the test goes on."""
        if args:
            callable_, *args = args
            with self.assertRaises(exception):
                callable_(*args, **kwargs)
            return None
        return self._raises_in_savepoint(exception, kwargs.get('msg'))

    @contextlib.contextmanager
    def _raises_in_savepoint(self, exception, msg):
        with super().assertRaises(exception, msg=msg) as context:
            try:
                with self.cr.savepoint():
                    yield context
            finally:
                self.env.invalidate_all()

    def _enter_savepoint(self, cr):
        # The loading transaction's own ORM state (record cache, external ids seen) is put aside
        # so that the test starts from the database and the loader resumes unaffected.
        saved = vars(cr).pop('orm_transaction', None)
        cr.execute('SAVEPOINT %s' % _SAVEPOINT)

        def leave():
            cr.execute('ROLLBACK TO SAVEPOINT %s' % _SAVEPOINT)
            cr.execute('RELEASE SAVEPOINT %s' % _SAVEPOINT)
            vars(cr).pop('orm_transaction', None)
            if saved is not None:
                cr.orm_transaction = saved

        self.addCleanup(leave)


def module_test_suite(module_name):
    """The tests of an addon: every ``test*`` module of its ``tests`` package (None if it has none)."""
    package_name = 'openerp_lite.addons.%s.tests' % module_name
    try:
        package = importlib.import_module(package_name)
    except ModuleNotFoundError as error:
        if error.name in (package_name, 'openerp_lite.addons.%s' % module_name):
            return None
        raise
    loader = unittest.TestLoader()
    suite = unittest.TestSuite()
    names = sorted(
        name for _finder, name, _ispkg in pkgutil.iter_modules(package.__path__) if name.startswith('test')
    )
    for name in names:
        suite.addTests(loader.loadTestsFromModule(importlib.import_module('%s.%s' % (package_name, name))))
    return suite


def run_module_tests(registry, module_name, cr=None, stream=None, verbosity=1):
    """Run the tests of ``module_name`` against ``registry``; the ``unittest`` result.

    ``cr`` None: each test opens (and rolls back) a cursor of its own. A cursor: each test runs in
    a savepoint of that transaction, rolled back to afterwards (tests at install time). Returns
    None when the module has no tests.
    """
    global _target
    suite = module_test_suite(module_name)
    if suite is None or not suite.countTestCases():
        _logger.info('module %s: no tests', module_name)
        return None
    saved, _target = _target, (registry, cr)
    try:
        _logger.info('module %s: running %d tests', module_name, suite.countTestCases())
        runner = unittest.TextTestRunner(stream=stream or sys.stderr, verbosity=verbosity)
        result = runner.run(suite)
    finally:
        _target = saved
    if result.wasSuccessful():
        _logger.info('module %s: %d tests passed', module_name, result.testsRun)
    else:
        _logger.error(
            'module %s: %d of %d tests failed',
            module_name,
            len(result.failures) + len(result.errors),
            result.testsRun,
        )
    return result
