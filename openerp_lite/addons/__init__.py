"""The package addon code is imported under: ``openerp_lite.addons.<module_name>``.

Its ``__path__`` is the addons path: ``modules.module.initialize_addons_path()`` replaces it at
startup with the configured folders (the repository's ``addons/`` always last). At import time it
holds only that default, so importing this package reads no configuration. The core never imports
an addon by name; the module loader does, through ``modules.module.import_module_code()``.
"""

import os

#: the repository's own ``addons/`` folder, searched after every configured one
DEFAULT_ADDONS_PATH = os.path.normpath(
    os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, os.pardir, 'addons')
)

__path__ = [DEFAULT_ADDONS_PATH]
