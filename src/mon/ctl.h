/* ctl: the control socket (a Unix SOCK_SEQPACKET socket) gnomonctl talks to.
 *
 * A request is one message: a command word and arguments separated by
 * spaces (printable ASCII, at most CTL_MAX_REQUEST bytes). The reply is
 * one message holding one JSON object; errors are {"error": "..."}.
 * Commands are registered by the modules that own the data. */
#ifndef GNOMON_CTL_H
#define GNOMON_CTL_H

#include <stddef.h>

#include "lib/loop.h"
#include "lib/metrics.h"
#include "lib/service.h"
#include "mon/json.h"

#define CTL_MAX_REQUEST 512
#define CTL_MAX_ARGS 8
#define CTL_MAX_REPLY 65536
#define CTL_DEFAULT_PATH "/run/gnomond/gnomond.sock"

struct ctl;

/* Handler: write the reply's members into out (inside the open object).
 * Return 0, or a negative errno with an "error" member written. */
typedef int (*ctl_cmd_fn)(void *arg, int argc, char **argv, struct json_out *out);

/* Create the socket at path (replacing a stale one) and watch it. Where
 * Unix SOCK_SEQPACKET sockets do not exist (under an LD_PRELOAD simulator),
 * a ctl without a socket is returned, with a warning: ctl_fd() is then -1. */
struct ctl *ctl_create(const char *path, struct loop *loop, int *err);
void ctl_destroy(struct ctl *c);
int ctl_register(struct ctl *c, const char *name, ctl_cmd_fn fn, void *arg);
/* The listening socket, or -1 when running without one. */
int ctl_fd(const struct ctl *c);
/* Run a registered command into j (inside an open object) as the socket
 * would: the handler's result, or -ENOENT for an unknown command. Other
 * exports (HTTP /status) answer with the same data this way. */
int ctl_call(struct ctl *c, int argc, char **argv, struct json_out *j);
/* The `status` command: tracking, sources, serverstats, clients (20),
 * gateway, alarms and audit, each under its name, those registered. */
int ctl_register_status(struct ctl *c);
/* The socket as a service (lib/service.h): made by ctl_create(). */
extern const struct service_ops ctl_service;
/* The `metrics` command: every metric of reg by name (reg outlives c). */
int ctl_register_metrics(struct ctl *c, const struct met_registry *reg);

/* Split a request buffer (not NUL-terminated) into words in place of a
 * copy in dst (size CTL_MAX_REQUEST + 1). Returns the word count, or -EINVAL
 * for an empty, over-long or non-printable request, or too many words. */
int ctl_parse_request(const char *buf, size_t len, char *dst, char **argv);

#endif
