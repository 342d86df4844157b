/* SPDX-License-Identifier: MIT */
/* Host PID of a container's main process, from /proc (no container runtime needed). */
#ifndef CONTAINER_H
#define CONTAINER_H
#include <stddef.h>
#include <sys/types.h>

/*
 * container_id: a substring of the cgroup path (runtimes name cgroups after the
 * container ID, e.g. cri-containerd-<id>.scope); pod: the pod name, which
 * Kubernetes sets as the container's hostname (HOSTNAME in its environment).
 * Picks the process that is PID 1 of its own PID namespace (the container's
 * entry point), else the lowest PID. One of the two may be NULL.
 */
int container__find_pid(const char *container_id, const char *pod, pid_t *out, char *err,
			size_t errlen);
#endif
