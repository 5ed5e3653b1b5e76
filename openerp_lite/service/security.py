"""Authentication of RPC calls (the ORM owner fills this in)."""

from ..exceptions import AccessDenied


def login(dbname, login, password, user_agent_env=None, remote_addr=None):
    """The uid of ``login`` when ``password`` is right, else ``False`` (never a fault)."""
    return False


def check(dbname, uid, password):
    """Raise :class:`AccessDenied` unless ``password`` is the current password of ``uid``."""
    raise AccessDenied()
