"""The ORM: fields, models, domains and the environment addon code runs in."""
