#include "mon/ctl.h"

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/util.h"

#define MAX_CMDS 32
#define MAX_CONNS 16

struct ctl_cmd {
	const char *name;
	ctl_cmd_fn fn;
	void *arg;
};

struct ctl {
	int fd;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct loop *loop;
	struct ctl_cmd cmds[MAX_CMDS];
	int n_cmds;
	int conns[MAX_CONNS];
	int n_conns;
	char *reply;
};

int ctl_parse_request(const char *buf, size_t len, char *dst, char **argv)
{
	int argc = 0;
	size_t i;
	char *p;

	while (len && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
		len--;
	if (len == 0 || len > CTL_MAX_REQUEST)
		return -EINVAL;
	for (i = 0; i < len; i++)
		if ((unsigned char)buf[i] < 0x20 || (unsigned char)buf[i] > 0x7e)
			return -EINVAL;
	memcpy(dst, buf, len);
	dst[len] = '\0';
	for (p = dst; *p;) {
		while (*p == ' ')
			*p++ = '\0';
		if (!*p)
			break;
		if (argc == CTL_MAX_ARGS)
			return -EINVAL;
		argv[argc++] = p;
		while (*p && *p != ' ')
			p++;
	}
	return argc ? argc : -EINVAL;
}

int ctl_call(struct ctl *c, int argc, char **argv, struct json_out *j)
{
	int i;

	if (argc < 1)
		return -EINVAL;
	for (i = 0; i < c->n_cmds; i++)
		if (!strcmp(c->cmds[i].name, argv[0]))
			return c->cmds[i].fn(c->cmds[i].arg, argc, argv, j);
	return -ENOENT;
}

/* `status`: what the other commands show, each under its name; the ones
 * this daemon has (a command missing is left out). */
static int cmd_status(void *arg, int argc, char **argv, struct json_out *j)
{
	static const char *const parts[][2] = {
		{ "tracking", NULL }, { "sources", NULL }, { "serverstats", NULL },
		{ "clients", "20" }, { "gateway", NULL }, { "alarms", NULL }, { "audit", NULL },
		{ "health", NULL }, { "standby", NULL },
	};
	struct ctl *c = arg;
	char *av[2];
	size_t i;

	(void)argc;
	(void)argv;
	for (i = 0; i < ARRAY_LEN(parts); i++) {
		int k;

		for (k = 0; k < c->n_cmds && strcmp(c->cmds[k].name, parts[i][0]); k++)
			;
		if (k == c->n_cmds)
			continue;
		av[0] = (char *)parts[i][0];
		av[1] = (char *)parts[i][1];
		json_obj_begin(j, parts[i][0]);
		c->cmds[k].fn(c->cmds[k].arg, parts[i][1] ? 2 : 1, av, j);
		json_obj_end(j);
	}
	return 0;
}

int ctl_register_status(struct ctl *c)
{
	return ctl_register(c, "status", cmd_status, c);
}

static void close_conn(struct ctl *c, int i)
{
	loop_del_fd(c->loop, c->conns[i]);
	close(c->conns[i]);
	c->conns[i] = c->conns[--c->n_conns];
}

static void dispatch(struct ctl *c, int fd, const char *req, size_t len)
{
	char words[CTL_MAX_REQUEST + 1];
	char *argv[CTL_MAX_ARGS];
	struct json_out j;
	const char *res;
	int argc = ctl_parse_request(req, len, words, argv), i;

	json_init(&j, c->reply, CTL_MAX_REPLY);
	json_obj_begin(&j, NULL);
	if (argc < 0) {
		json_str(&j, "error", "malformed request");
	} else {
		for (i = 0; i < c->n_cmds; i++)
			if (!strcmp(c->cmds[i].name, argv[0]))
				break;
		if (i == c->n_cmds) {
			char known[256] = "unknown command; known:";
			int k;

			for (k = 0; k < c->n_cmds; k++) {
				strncat(known, " ", sizeof(known) - strlen(known) - 1);
				strncat(known, c->cmds[k].name, sizeof(known) - strlen(known) - 1);
			}
			json_str(&j, "error", known);
		} else {
			c->cmds[i].fn(c->cmds[i].arg, argc, argv, &j);
		}
	}
	json_obj_end(&j);
	res = json_result(&j);
	if (!res)
		res = "{\"error\":\"reply too large\"}";
	if (send(fd, res, strlen(res), MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
		LOG_RL(LOG_LVL_WARN, "control: reply not sent: %s", strerror(errno));
}

static void conn_readable(int fd, short revents, void *arg)
{
	struct ctl *c = arg;
	char buf[CTL_MAX_REQUEST + 2];
	ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
	int i;

	(void)revents;
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n > 0)
		dispatch(c, fd, buf, (size_t)n);
	/* One request per connection. */
	for (i = 0; i < c->n_conns; i++) {
		if (c->conns[i] == fd) {
			close_conn(c, i);
			break;
		}
	}
}

static void listener_readable(int fd, short revents, void *arg)
{
	struct ctl *c = arg;
	int cfd;

	(void)revents;
	cfd = accept(fd, NULL, NULL);
	if (cfd < 0)
		return;
	if (fd_nonblock_cloexec(cfd)) {
		close(cfd);
		return;
	}
	if (c->n_conns == MAX_CONNS)
		close_conn(c, 0);	/* oldest-ish: a stuck client loses */
	c->conns[c->n_conns++] = cfd;
	loop_add_fd(c->loop, cfd, POLLIN, conn_readable, c);
}

/* socket(2) errors that mean "this kind of socket does not exist here". */
static bool unsupported_socket(int e)
{
	return e == EINVAL || e == EAFNOSUPPORT || e == EPROTONOSUPPORT ||
	       e == ESOCKTNOSUPPORT || e == EPROTOTYPE;
}

struct ctl *ctl_create(const char *path, struct loop *loop, int *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	mode_t old_mask;
	struct ctl *c;
	int rc;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		*err = -ENAMETOOLONG;
		return NULL;
	}
	c = xcalloc(1, sizeof(*c));
	c->loop = loop;
	strcpy(c->path, path);
	strcpy(sa.sun_path, path);
	c->reply = xmalloc(CTL_MAX_REPLY);
	c->fd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	if (c->fd < 0 && unsupported_socket(errno)) {
		/* Linux always has Unix SOCK_SEQPACKET; an LD_PRELOAD clock and
		 * network simulator (clknetsim) emulates only SOCK_DGRAM and
		 * SOCK_STREAM. Like chronyd without its command socket, the
		 * daemon then runs without one: the commands stay registered
		 * for the other exports (HTTP /status). Any other failure
		 * (a path, a permission) is the operator's to fix. */
		LOG_WARN("control socket %s: Unix SOCK_SEQPACKET sockets are not available "
			 "(%s); running without a control socket (gnomonctl cannot connect)",
			 path, strerror(errno));
		return c;
	}
	if (c->fd < 0)
		goto fail_errno;
	rc = fd_nonblock_cloexec(c->fd);
	if (rc)
		goto fail;
	/* A stale socket from an earlier run is replaced; anything else in its
	 * place (a link planted by whoever can write the directory, a file)
	 * is refused rather than removed or followed. */
	if (lstat(path, &st) == 0) {
		if (S_ISLNK(st.st_mode)) {
			rc = -ELOOP;
			goto fail;
		}
		if (!S_ISSOCK(st.st_mode)) {
			rc = -EEXIST;
			goto fail;
		}
		unlink(path);
	}
	/* Owner and group only (0660, whatever the umask): the socket exposes
	 * state, and later commands; the group may connect. Linux gives the
	 * bound file the socket inode's mode less the umask, so the mode is
	 * set on the descriptor, never through a path. */
	if (fchmod(c->fd, 0660) < 0)
		goto fail_errno;
	old_mask = umask(0117);
	rc = bind(c->fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old_mask);
	if (rc < 0)
		goto fail_errno;
	if (listen(c->fd, 16) < 0)
		goto fail_errno;
	rc = loop_add_fd(loop, c->fd, POLLIN, listener_readable, c);
	if (rc)
		goto fail;
	return c;
fail_errno:
	rc = -errno;
fail:
	if (c->fd >= 0)
		close(c->fd);
	free(c->reply);
	free(c);
	*err = rc;
	return NULL;
}

void ctl_destroy(struct ctl *c)
{
	if (!c)
		return;
	while (c->n_conns)
		close_conn(c, c->n_conns - 1);
	if (c->fd >= 0) {
		loop_del_fd(c->loop, c->fd);
		close(c->fd);
		unlink(c->path);
	}
	free(c->reply);
	free(c);
}

int ctl_register(struct ctl *c, const char *name, ctl_cmd_fn fn, void *arg)
{
	if (c->n_cmds == MAX_CMDS)
		return -ENOSPC;
	c->cmds[c->n_cmds++] = (struct ctl_cmd){ name, fn, arg };
	return 0;
}

int ctl_fd(const struct ctl *c)
{
	return c->fd;
}

/* A labelled sample as a JSON member: name{label="value",...}. */
struct json_emit {
	struct met_emit em;
	struct json_out *j;
	const char *family;
};

static void emit_json(struct met_emit *em, double v, const char *const *labels, size_t n)
{
	struct json_emit *e = (struct json_emit *)em;
	char key[512];
	size_t i, len;

	len = (size_t)snprintf(key, sizeof(key), "%s{", e->family);
	for (i = 0; i < n && len < sizeof(key); i++)
		len += (size_t)snprintf(key + len, sizeof(key) - len, "%s%s=\"%s\"", i ? "," : "",
					labels[2 * i], labels[2 * i + 1]);
	if (len < sizeof(key) - 1) {
		strcat(key, "}");
		json_double(e->j, key, v);
	}
}

static int cmd_metrics(void *arg, int argc, char **argv, struct json_out *j)
{
	const struct met_registry *reg = arg;
	struct json_emit e = { .em.sample = emit_json, .j = j };
	size_t i;

	(void)argc;
	(void)argv;
	json_obj_begin(j, "metrics");
	for (i = 0; i < met_count(reg); i++) {
		const struct met_entry *m = met_get(reg, i);

		json_double(j, m->name, met_value(m));
	}
	for (i = 0; i < met_family_count(reg); i++) {
		const struct met_family *f = met_family_get(reg, i);

		e.family = met_family_name(f);
		met_family_read(f, &e.em);
	}
	json_obj_end(j);
	return 0;
}

int ctl_register_metrics(struct ctl *c, const struct met_registry *reg)
{
	return ctl_register(c, "metrics", cmd_metrics, (void *)reg);
}

static void service_destroy(void *obj)
{
	ctl_destroy(obj);
}

const struct service_ops ctl_service = {
	.name = "control",
	.destroy = service_destroy,
};
