"""Modules (addons): manifests, the dependency graph, loading, install/upgrade/uninstall, data files."""
