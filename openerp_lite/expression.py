"""Public face for addons: domain helpers (``from openerp_lite import expression``)."""

from .orm.expression import FALSE_LEAF, TRUE_LEAF, normalize  # noqa: F401


def combine(operator, domains):
    """One domain joining ``domains`` with ``'&'`` or ``'|'`` (each is normalised first)."""
    domains = [normalize(d) for d in domains if d]
    if not domains:
        return []
    result = domains[0]
    for domain in domains[1:]:
        result = [operator] + result + domain
    return result


def AND(domains):
    return combine('&', domains)


def OR(domains):
    return combine('|', domains)
