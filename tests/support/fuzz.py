"""Hypothesis settings shared by the property tests: fixed examples and a fresh seed.

Each property runs twice in the default suite: once derandomized (the same examples on every run,
so a regression shows up every time) and once from a *fresh* seed drawn for the run, which finds
new cases. The fresh seed is printed in pytest's header; a failure found with it is replayed with
``OPENERP_LITE_HYPOTHESIS_SEED=<seed> pytest ...``.
"""

import os
import random

from hypothesis import HealthCheck, seed, settings

#: this run's fresh seed (from the environment when replaying a run)
FRESH_SEED = int(os.environ.get('OPENERP_LITE_HYPOTHESIS_SEED') or random.SystemRandom().getrandbits(32))


def header():
    return 'hypothesis: fixed examples, and fresh seed %d (replay with OPENERP_LITE_HYPOTHESIS_SEED=%d)' % (
        FRESH_SEED,
        FRESH_SEED,
    )


def configured(examples, fresh=False, **extra):
    """A decorator: ``settings`` for ``examples`` examples, derandomized, or from the fresh seed."""
    config = settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=not fresh,
        suppress_health_check=list(HealthCheck),
        **extra,
    )
    if not fresh:
        return config
    return lambda test: seed(FRESH_SEED)(config(test))
