"""Packaging for openerp-lite: ``pip install .`` gives the ``openerp-server`` command."""

import os

from setuptools import find_packages, setup

HERE = os.path.dirname(os.path.abspath(__file__))
about = {}
with open(os.path.join(HERE, 'openerp_lite', 'release.py'), encoding='utf-8') as handle:
    exec(handle.read(), about)  # noqa: S102 - our own constants file, read without importing

setup(
    name='openerp-lite',
    version=about['version'],
    description='A small OpenERP-compatible ERP server: XML-RPC and JSON-RPC from one WSGI callable',
    long_description=open(os.path.join(HERE, 'README.md'), encoding='utf-8').read(),
    long_description_content_type='text/markdown',
    license='LGPL-3.0-or-later',
    python_requires='>=3.9',
    packages=find_packages(
        include=['openerp_lite', 'openerp_lite.*', 'server_adapters', 'server_adapters.*']
    ),
    include_package_data=True,
    install_requires=[
        'werkzeug>=2.2',
        'psycopg2-binary>=2.9',
        'waitress>=2.1',
        'gunicorn>=21',
        'lxml>=4.9',
        'passlib>=1.7',
        'psutil>=5.9',
        'setproctitle>=1.3',
        'pgserver>=0.1.4',
    ],
    extras_require={
        # the published client libraries, pinned: tests/test_clients.py drives each one unchanged
        'test': [
            'pytest>=7',
            'hypothesis>=6',
            'ruff',
            'mypy',
            'types-psycopg2',
            'erppeek==1.7.2',
            'odooly==2.6.7',
            'odoo-client-lib==2.0.1',
            'odoorpc==0.10.1',
        ],
    },
    entry_points={'console_scripts': ['openerp-server = openerp_lite.cli:main']},
)
