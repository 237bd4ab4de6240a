#include "net/addr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "lib/bytes.h"

static const uint8_t v4mapped_prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

int net_addr_parse(const char *s, struct net_addr *out)
{
	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, s, out->a) == 1) {
		out->family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, out->a) == 1) {
		out->family = AF_INET6;
		return 0;
	}
	return -EINVAL;
}

const char *net_addr_str(const struct net_addr *a, char *buf, size_t len)
{
	if (!inet_ntop(a->family == AF_INET ? AF_INET : AF_INET6, a->a, buf, (socklen_t)len))
		if (len)
			buf[0] = '\0';
	return buf;
}

int net_addr_from_sockaddr(const struct sockaddr *sa, struct net_addr *out, uint16_t *port)
{
	memset(out, 0, sizeof(*out));
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)(const void *)sa;

		out->family = AF_INET;
		memcpy(out->a, &sin->sin_addr, 4);
		if (port)
			*port = ntohs(sin->sin_port);
		return 0;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)(const void *)sa;

		if (!memcmp(&sin6->sin6_addr, v4mapped_prefix, 12)) {
			out->family = AF_INET;
			memcpy(out->a, (const uint8_t *)&sin6->sin6_addr + 12, 4);
		} else {
			out->family = AF_INET6;
			memcpy(out->a, &sin6->sin6_addr, 16);
		}
		if (port)
			*port = ntohs(sin6->sin6_port);
		return 0;
	}
	return -EAFNOSUPPORT;
}

socklen_t net_addr_to_sockaddr(const struct net_addr *a, uint16_t port,
			       struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (a->family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)(void *)ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		memcpy(&sin->sin_addr, a->a, 4);
		return sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)(void *)ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		memcpy(&sin6->sin6_addr, a->a, 16);
		return sizeof(*sin6);
	}
}

bool net_addr_is_any(const struct net_addr *a)
{
	static const uint8_t zero[16];

	return !memcmp(a->a, zero, net_addr_len(a));
}

size_t net_addr_len(const struct net_addr *a)
{
	return a->family == AF_INET ? 4 : 16;
}

uint32_t net_addr_refid(const struct net_addr *a)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;

	if (a->family == AF_INET)
		return get_be32(a->a);
	if (!EVP_Digest(a->a, 16, md, &len, EVP_md5(), NULL) || len < 4)
		return 0;
	return get_be32(md);
}

int net_resolve(const char *host, struct net_addr *out, int cap, const char **err)
{
	struct addrinfo hints = { .ai_socktype = SOCK_DGRAM }, *res, *ai;
	int rc, n = 0;

	rc = getaddrinfo(host, NULL, &hints, &res);
	if (rc) {
		*err = gai_strerror(rc);
		return -1;
	}
	for (ai = res; ai && n < cap; ai = ai->ai_next)
		if (!net_addr_from_sockaddr(ai->ai_addr, &out[n], NULL))
			n++;
	freeaddrinfo(res);
	return n;
}
