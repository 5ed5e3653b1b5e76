from . import (ir_config, ir_cron, ir_model, ir_module, ir_rule, ir_sequence,  # noqa: F401
               res_company, res_partner, res_users)
