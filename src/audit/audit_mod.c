/* The module's side of audit_mod.h: its table. Built only into
 * libgnomon-audit.so, with the engine and the store. */
#include "audit/audit_mod.h"

const struct audit_api *gnomon_audit_api(void)
{
	static const struct audit_api api = {
		.method_name = audit_method_name,
		.method_parse = audit_method_parse,
		.status_name = audit_status_name,
		.method_default_port = audit_method_default_port,
		.probe_opts_default = audit_probe_opts_default,
		.probe_start = audit_probe_start,
		.probe_done = audit_probe_done,
		.probe_destroy = audit_probe_destroy,
		.db_open = audit_db_open,
		.db_close = audit_db_close,
		.db_error = audit_db_error,
		.db_devices = audit_db_devices,
		.db_begin_run = audit_db_begin_run,
		.db_add_result = audit_db_add_result,
		.db_finish_run = audit_db_finish_run,
		.db_prune = audit_db_prune,
	};

	return &api;
}
