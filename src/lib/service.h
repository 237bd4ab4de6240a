/* service: what the daemon serves — the NTP server, broadcast servers,
 * gateway senders, later the PTP master and the HTTP export — behind one
 * small struct of operations, so that gnomond makes each as it likes and
 * then starts, exposes and stops them all alike (sources have theirs:
 * struct sync_source_ops).
 *
 * Life: made by its module (as root: sockets are bound before privileges
 * are dropped), added to a set, started on the event loop once the
 * daemon runs as its user, its control commands registered, destroyed in
 * the reverse order of adding. */
#ifndef GNOMON_SERVICE_H
#define GNOMON_SERVICE_H

#include <stdbool.h>

#include "lib/loop.h"

#define SERVICE_MAX 64

struct ctl;

struct service_ops {
	const char *name;				/* for logs: "ntp-server" */
	int (*start)(void *obj, struct loop *loop);	/* 0 or -errno; NULL: none */
	void (*register_ctl)(void *obj, struct ctl *ctl);	/* NULL: no commands */
	void (*destroy)(void *obj);
};

struct service_set {
	struct service {
		const struct service_ops *ops;
		void *obj;
	} s[SERVICE_MAX];
	int n;
};

/* 0, or -ENOSPC (obj is then destroyed: the caller has handed it over). */
int service_add(struct service_set *set, const struct service_ops *ops, void *obj);
/* Start every service in order; the first failure is logged with the
 * service's name and returned. */
int service_start_all(struct service_set *set, struct loop *loop);
void service_register_ctl_all(struct service_set *set, struct ctl *ctl);
/* Destroy every service, the last added first, and empty the set. */
void service_destroy_all(struct service_set *set);

#endif
