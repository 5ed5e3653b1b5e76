"""Database initialisation and module loading (the ORM owner fills this in)."""


def init_new_database(dbname, demo=False, lang='en_US', login='admin', password='admin',
                      country_code=None):
    """Install ``base`` into the freshly created, empty database ``dbname``.

    Creates the admin user with ``login``/``password`` and loads demo data when ``demo``.
    Placeholder until the ORM lands: it leaves the database empty.
    """
    return True
