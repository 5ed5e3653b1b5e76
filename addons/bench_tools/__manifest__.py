{
    'name': 'Benchmark tools',
    'version': '1.0',
    'summary': 'Public methods used by openerp-server bench (a bounded CPU-bound call for the '
    'isolation workload). Installed by the bench into its scratch database only.',
    'description': """
Benchmark tools
===============

``bench.tools.cpu_burn(seconds)`` keeps one CPU busy in Python for ``seconds`` of the process's
CPU time (at most 30) and returns the number of loop turns. ``openerp-server bench`` calls it
repeatedly from one client while the others read partners, to show how far one expensive request
slows everybody else down under each server.

``bench.plain.row`` and ``bench.signalling.row`` are the same row, except that writing the second
clears a cache in every process (its signal is bumped in the writing transaction):
``openerp-server bench --workloads signal_cost`` writes both, back to back in alternating rounds,
to measure what that costs.

Do not install it on a production database: any user may call it.
""",
    'category': 'Hidden',
    'author': 'openerp-lite',
    'license': 'LGPL-3',
    'depends': ['base'],
    'data': [
        'security/ir.model.access.csv',
    ],
    'installable': True,
    'auto_install': False,
}
