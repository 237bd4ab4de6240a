/* www: the dashboard's files (www/ in the source tree), built into the
 * binary by tools/embed_www.py so that gnomond reads nothing at run time
 * (it is sandboxed) and no request leaves the host. */
#ifndef GNOMON_WWW_H
#define GNOMON_WWW_H

#include <stddef.h>

struct www_file {
	const char *path;		/* "/index.html" */
	const char *type;		/* Content-Type */
	const unsigned char *data;
	size_t len;
};

extern const struct www_file www_files[];
extern const size_t www_n_files;

#endif
