// SPDX-License-Identifier: MIT
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "container.h"

static ssize_t read_file(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n >= 0)
		buf[n] = 0;
	return n;
}

static bool in_container(pid_t pid, const char *id)
{
	char path[64], buf[8192];

	snprintf(path, sizeof(path), "/proc/%d/cgroup", pid);
	return read_file(path, buf, sizeof(buf)) > 0 && strstr(buf, id);
}

static bool in_pod(pid_t pid, const char *pod)
{
	char path[64], buf[65536], want[256];
	ssize_t n, i;

	snprintf(path, sizeof(path), "/proc/%d/environ", pid);
	n = read_file(path, buf, sizeof(buf));
	snprintf(want, sizeof(want), "HOSTNAME=%s", pod);
	for (i = 0; i < n; i += strlen(buf + i) + 1)
		if (strcmp(buf + i, want) == 0)
			return true;
	return false;
}

/* NSpid's last field is the PID inside the innermost namespace. */
static bool ns_init(pid_t pid)
{
	char path[64], buf[4096], *l;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	if (read_file(path, buf, sizeof(buf)) <= 0 || !(l = strstr(buf, "NSpid:")))
		return false;
	l[strcspn(l, "\n")] = 0;
	l = strrchr(l, '\t');
	return l && strcmp(l + 1, "1") == 0 && pid != 1;
}

int container__find_pid(const char *container_id, const char *pod, pid_t *out, char *err,
			size_t errlen)
{
	const char *what = container_id ? "--container" : "--pod";
	const char *v = container_id ? container_id : pod;
	struct dirent *de;
	pid_t best = 0, lowest = 0;
	DIR *d;

	/* an empty ID is a substring of every cgroup path: it would pick any process */
	if (!v || !*v) {
		snprintf(err, errlen, "%s needs a non-empty %s", what,
			 container_id ? "container ID (as in its cgroup path)" : "pod name");
		return -EINVAL;
	}
	d = opendir("/proc");
	if (!d) {
		snprintf(err, errlen, "cannot read /proc: %s", strerror(errno));
		return -errno;
	}
	while ((de = readdir(d))) {
		pid_t pid;

		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		pid = (pid_t)atoi(de->d_name);
		if (pid == getpid())
			continue;
		if (container_id && !in_container(pid, container_id))
			continue;
		if (pod && !in_pod(pid, pod))
			continue;
		if (!lowest || pid < lowest)
			lowest = pid;
		if (ns_init(pid) && (!best || pid < best))
			best = pid;
	}
	closedir(d);
	if (!best)
		best = lowest;
	if (!best) {
		snprintf(err, errlen, "no process found for %s %s (are we in the host PID namespace? "
			 "a debug pod needs hostPID: true)", container_id ? "container" : "pod",
			 container_id ? container_id : pod);
		return -ESRCH;
	}
	*out = best;
	return 0;
}
