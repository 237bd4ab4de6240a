#include "mon/ctl_client.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

int ctl_client_request(const char *path, const char *req, char *buf, size_t len,
		       int timeout_ms, struct ctl_peer *peer)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };
	struct ucred cred;
	socklen_t cl = sizeof(cred);
	ssize_t n;
	int fd, rc = 0;

	if (peer)
		peer->pid = 0;
	if (len < 2)
		return -EINVAL;
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* Both directions are bounded: a daemon that accepts but never reads
	 * or answers must not hang the caller (gnomon-snmp answers an AgentX
	 * master that gives up after about a second). */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    send(fd, req, strlen(req), MSG_NOSIGNAL) < 0) {
		rc = -errno;
		goto out;
	}
	if (peer && getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &cl) == 0)
		peer->pid = cred.pid;
	/* SOCK_SEQPACKET keeps the reply one record: MSG_TRUNC tells its
	 * real length, so a reply larger than buf is an error, never a
	 * silently cut JSON text. */
	n = recv(fd, buf, len - 1, MSG_TRUNC);
	if (n <= 0) {
		rc = n < 0 ? -errno : -ECONNRESET;
		goto out;
	}
	if ((size_t)n > len - 1) {
		rc = -EMSGSIZE;
		goto out;
	}
	buf[n] = '\0';
out:
	close(fd);
	return rc;
}
