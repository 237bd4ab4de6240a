/* Fuzz the control-socket request parser. */
#include <stdint.h>
#include <string.h>

#include "mon/ctl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char dst[CTL_MAX_REQUEST + 1];
	char *argv[CTL_MAX_ARGS];
	int i, n = ctl_parse_request((const char *)data, size, dst, argv);

	for (i = 0; i < n; i++)
		if (!argv[i][0] || strchr(argv[i], ' '))
			__builtin_trap();
	return 0;
}
