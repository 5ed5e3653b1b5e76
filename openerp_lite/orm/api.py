"""Method decorators for model classes (the ``api`` of the public face)."""


def model(method):
    """The method works on the model, not on records: over RPC it takes no ids."""
    method._api = 'model'
    return method


def model_create_multi(method):
    """``create`` accepting a list of value dicts (a single dict is wrapped)."""
    method._api = 'model_create'
    return method


def multi(method):
    """The method works on records (the default): over RPC ``args[0]`` holds the ids."""
    return method


def one(method):
    return method


def depends(*paths):
    """Declare the fields a computed field's method reads (dotted paths through relations)."""

    def decorate(method):
        method._depends = tuple(paths)
        return method

    return decorate


def constrains(*names):
    """Call the method after create/write touching ``names``; it raises ValidationError."""

    def decorate(method):
        method._constrains = tuple(names)
        return method

    return decorate


def onchange(*names):
    """Accepted for compatibility; this server has no form views."""

    def decorate(method):
        method._onchange = tuple(names)
        return method

    return decorate


def returns(model_name, *args):
    return lambda method: method


def private(method):
    """Never callable over RPC, even though its name is public."""
    method._private = True
    return method
