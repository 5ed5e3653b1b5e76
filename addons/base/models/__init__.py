from . import (  # noqa: F401
               ir_attachment,
               ir_autovacuum,
               ir_config,
               ir_cron,
               ir_model,
               ir_module,
               ir_rule,
               ir_sequence,
               res_company,
               res_partner,
               res_users,
)
