#include "mon/http_mod.h"

#include "lib/module.h"

const struct http_api *http_mod_load(char *err, size_t len)
{
	static const struct http_api *api;

	if (!api)
		api = module_load("libgnomon-http.so", "gnomon_http_api", err, len);
	return api;
}
