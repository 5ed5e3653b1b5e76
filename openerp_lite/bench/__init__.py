"""``openerp-server bench``: the same workloads under each server and mode, in alternating rounds,
with a verdict and reports.

One module per job: :mod:`.dataset` (the scratch database and its data), :mod:`.workloads` and
:mod:`.protocol` (what is sent), :mod:`.loadgen` and :mod:`.wrk` (the two load generators),
:mod:`.launcher` (starting a server subprocess and stopping it by pid, shared with the project's
tests), :mod:`.servers` (the configurations under test), :mod:`.floor` (the two floor
applications), :mod:`.measure` (one cell), :mod:`.runner` (the whole run and its alternation),
:mod:`.stats` (medians and spreads over the rounds), :mod:`.verdict` (which configuration to run),
:mod:`.targets` (the project's development targets), :mod:`.report_text`, :mod:`.report_html` and
:mod:`.svg` (the reports), :mod:`.progress`; :mod:`.cluster` (a primary with hot standbys and a
PgBouncer built on this machine, shared with the tests) and :mod:`.standby` (``bench --standby``:
what a hot standby gives and costs).
"""

from .runner import Settings, default_configurations, run  # noqa: F401
