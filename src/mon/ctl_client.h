/* ctl_client: the client side of the control socket (mon/ctl.h), shared by
 * gnomonctl and gnomon-snmp so that the request/reply framing lives in one
 * place. */
#ifndef GNOMON_CTL_CLIENT_H
#define GNOMON_CTL_CLIENT_H

#include <stddef.h>
#include <sys/types.h>

/* Who answered: the daemon's process id as the kernel reports it for the
 * socket (SO_PEERCRED), 0 if unknown. */
struct ctl_peer {
	pid_t pid;
};

/* Send one request (a NUL-terminated command line) to the socket at path
 * and receive the one-message JSON reply into buf (NUL-terminated, at most
 * len - 1 bytes). timeout_ms bounds the wait for the reply. peer may be
 * NULL. Returns 0, or -errno (-ECONNRESET for an empty reply, -EMSGSIZE
 * for a reply that did not fit). */
int ctl_client_request(const char *path, const char *req, char *buf, size_t len,
		       int timeout_ms, struct ctl_peer *peer);

#endif
