/* Fuzz the HTTP request-target parser (mon/http_target.c) and, on the
 * same input, the Prometheus writer's escaping of the decoded strings.
 * Checks what must hold for any input: the path starts with '/', every
 * string is NUL-terminated inside the store, no parameter key or value
 * holds a NUL, and a label value written by prom stays on one line. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/sbuf.h"
#include "mon/http_target.h"
#include "mon/prom.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_in_store(const struct http_target *t, const char *s)
{
	if (s[0] && (s < t->store || s >= t->store + sizeof(t->store)))
		__builtin_trap();
	if (s[0] && !memchr(s, '\0', (size_t)(t->store + sizeof(t->store) - s)))
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct http_target t;
	struct sbuf b;
	struct prom_out p;
	const char *lv[2];
	size_t i;

	if (http_target_parse((const char *)data, size, &t))
		return 0;
	if (!t.path || t.path[0] != '/' || t.n_params > HTTP_PARAMS_MAX)
		__builtin_trap();
	check_in_store(&t, t.path);
	sbuf_init(&b, 1 << 16);
	prom_init(&p, &b);
	prom_family(&p, "fuzz_gauge", t.path, PROM_GAUGE);
	for (i = 0; i < t.n_params; i++) {
		check_in_store(&t, t.params[i].key);
		check_in_store(&t, t.params[i].value);
		if (!t.params[i].has_value && t.params[i].value[0])
			__builtin_trap();
		if (http_target_param(&t, t.params[i].key, 0) == NULL)
			__builtin_trap();
		lv[0] = "v";
		lv[1] = t.params[i].value;
		prom_sample(&p, (double)i, lv, 1);
	}
	/* One line per HELP, TYPE and sample: escaping let no newline in. */
	{
		size_t lines = 0;

		for (i = 0; i < b.len; i++)
			lines += b.p[i] == '\n';
		if (!b.overflow && lines != 2 + t.n_params)
			__builtin_trap();
	}
	prom_fini(&p);
	sbuf_free(&b);
	return 0;
}
