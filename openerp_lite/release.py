"""Version numbers: the project's own, and the compatibility series it reports to clients.

Client libraries choose their protocol from the series a server reports (see the clients reference),
so the series is a separate, configurable value from the project's own version.
"""

version_info = (0, 1, 0, 'final', 0)
version = '%d.%d.%d' % version_info[:3]
#: the release line (``0.1``), as written in a backup's manifest
major_version = '%d.%d' % version_info[:2]

#: Series reported by ``common.version()`` unless the operator picks another one.
DEFAULT_SERIE = '10.0'
PROTOCOL_VERSION = 1
