"""The openerp-lite test suite (a package, so ``tests.support`` imports from the checkout)."""
