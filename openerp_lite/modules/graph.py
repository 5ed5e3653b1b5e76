"""The module dependency graph: load order, auto-install, reverse dependencies.

Pure functions over manifests (dicts from ``modules.module.load_manifest``); no database, no
filesystem of their own, so every rule is unit-testable with literal dicts.
"""

from collections.abc import Mapping

from openerp_lite.exceptions import UserError


class ModuleGraphError(UserError):
    """Modules cannot be loaded together; the message names the modules involved."""


def _lookup(manifest_of):
    """Turn a mapping or a callable into ``name -> manifest or None`` (None: not available)."""
    if isinstance(manifest_of, Mapping):
        return manifest_of.get

    def lookup(name):
        try:
            return manifest_of(name)
        except LookupError:  # modules.module.ModuleNotFound is a LookupError
            return None

    return lookup


def _depends(manifest):
    return list(manifest.get('depends') or ())


def load_order(names, manifest_of):
    """Modules to load, dependencies first: ``names`` plus every dependency, transitively.

    Order: by depth (``base`` is 0, any other module 1 + the deepest of its dependencies), then
    alphabetically within a depth. ``manifest_of`` is a mapping or a callable giving a module's
    manifest (None or ``LookupError`` when unavailable). A missing dependency, an uninstallable
    module or a cycle raises ``ModuleGraphError`` naming the modules (and the cycle's path).
    """
    lookup = _lookup(manifest_of)
    manifests = {}
    missing, uninstallable = [], []
    required_by = {name: None for name in names}
    pending = list(dict.fromkeys(names))
    while pending:
        name = pending.pop()
        if name in manifests:
            continue
        manifest = lookup(name)
        if manifest is None:
            missing.append(name)
            continue
        if not manifest.get('installable', True):
            uninstallable.append(name)
        manifests[name] = manifest
        for dep in _depends(manifest):
            required_by.setdefault(dep, name)
            if dep not in manifests:
                pending.append(dep)

    def chain(name):
        path = [name]
        while required_by.get(path[-1]) and required_by[path[-1]] not in path:
            path.append(required_by[path[-1]])
        return ' <- '.join(path)

    problems = []
    for name in sorted(set(missing)):
        problems.append(
            'module %r is not available (required by: %s)' % (name, chain(name))
            if required_by.get(name)
            else 'module %r is not available' % name
        )
    for name in sorted(set(uninstallable)):
        problems.append(
            'module %r is not installable (required by: %s)' % (name, chain(name))
            if required_by.get(name)
            else 'module %r is not installable' % name
        )
    if problems:
        raise ModuleGraphError('; '.join(problems))

    depth = _depths(manifests)
    return sorted(manifests, key=lambda name: (depth[name], name))


def _depths(manifests):
    """Depth of every module; refuses a cycle naming its path (e.g. ``a -> b -> a``)."""
    depth = {}
    for root in sorted(manifests):
        if root in depth:
            continue
        # Iterative depth-first walk: a long chain must not hit Python's recursion limit.
        stack, on_path = [(root, iter(sorted(_depends(manifests[root]))))], [root]
        while stack:
            name, deps = stack[-1]
            dep = next(deps, None)
            if dep is None:
                stack.pop()
                on_path.pop()
                dep_depths = [depth[d] for d in _depends(manifests[name])]
                depth[name] = 0 if name == 'base' else 1 + max(dep_depths, default=0)
            elif dep in on_path:
                cycle = on_path[on_path.index(dep) :] + [dep]
                raise ModuleGraphError('circular dependency between modules: %s' % ' -> '.join(cycle))
            elif dep not in depth:
                stack.append((dep, iter(sorted(_depends(manifests[dep])))))
                on_path.append(dep)
    return depth


def auto_install_candidates(installed_or_pending, available_manifests):
    """Modules to add because ``auto_install`` is set and all their dependencies are present.

    ``installed_or_pending``: names installed or about to be; ``available_manifests``: mapping
    name -> manifest of the modules on the addons path. Iterates to a fixpoint, so an
    auto-install module that enables another is followed. Returns the new names, sorted.
    """
    present = set(installed_or_pending)
    added = set()
    changed = True
    while changed:
        changed = False
        for name, manifest in sorted(available_manifests.items()):
            if name in present or not manifest.get('auto_install'):
                continue
            if not manifest.get('installable', True):
                continue
            if all(dep in present for dep in _depends(manifest)):
                present.add(name)
                added.add(name)
                changed = True
    return sorted(added)


def reverse_dependencies(name, installed, manifest_of):
    """Installed modules that depend on ``name``, directly or transitively (sorted, without it)."""
    lookup = _lookup(manifest_of)
    direct = {}
    for module in installed:
        manifest = lookup(module) or {}
        for dep in _depends(manifest):
            direct.setdefault(dep, set()).add(module)
    result, pending = set(), [name]
    while pending:
        for dependent in direct.get(pending.pop(), ()):
            if dependent not in result and dependent != name:
                result.add(dependent)
                pending.append(dependent)
    return sorted(result)
