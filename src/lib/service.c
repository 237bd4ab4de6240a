#include "lib/service.h"

#include <errno.h>
#include <string.h>

#include "lib/log.h"

int service_add(struct service_set *set, const struct service_ops *ops, void *obj)
{
	if (set->n >= SERVICE_MAX) {
		if (ops->destroy)
			ops->destroy(obj);
		return -ENOSPC;
	}
	set->s[set->n].ops = ops;
	set->s[set->n++].obj = obj;
	return 0;
}

int service_start_all(struct service_set *set, struct loop *loop)
{
	int i, rc;

	for (i = 0; i < set->n; i++) {
		if (!set->s[i].ops->start)
			continue;
		rc = set->s[i].ops->start(set->s[i].obj, loop);
		if (rc) {
			LOG_ERR("%s: cannot start: %s", set->s[i].ops->name, strerror(-rc));
			return rc;
		}
	}
	return 0;
}

void service_register_ctl_all(struct service_set *set, struct ctl *ctl)
{
	int i;

	for (i = 0; i < set->n; i++)
		if (set->s[i].ops->register_ctl)
			set->s[i].ops->register_ctl(set->s[i].obj, ctl);
}

void service_destroy_all(struct service_set *set)
{
	while (set->n > 0) {
		struct service *s = &set->s[--set->n];

		if (s->ops->destroy)
			s->ops->destroy(s->obj);
	}
}
