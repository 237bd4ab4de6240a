/* gnomond's side of audit_mod.h: the loader. */
#include "audit/audit_mod.h"

#include "lib/module.h"

const struct audit_api *audit_mod_load(char *err, size_t len)
{
	static const struct audit_api *api;

	if (!api)
		api = module_load("libgnomon-audit.so", "gnomon_audit_api", err, len);
	return api;
}
