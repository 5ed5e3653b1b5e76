"""``openerp-server bench``: the same workloads under each server and mode, with reports.

One module per job: :mod:`.dataset` (the scratch database and its data), :mod:`.workloads` and
:mod:`.protocol` (what is sent), :mod:`.loadgen` and :mod:`.wrk` (the two load generators),
:mod:`.servers` (server subprocesses), :mod:`.floor` (the two floor applications), :mod:`.measure`
(one cell), :mod:`.runner` (the whole run), :mod:`.targets` (the performance targets),
:mod:`.report_text`, :mod:`.report_html` and :mod:`.svg` (the reports), :mod:`.progress`.
"""

from .runner import Settings, default_configurations, run  # noqa: F401
