// SPDX-License-Identifier: MIT
/*
 * Benchmark baseline: an empty BPF program ("return 0") at given file offsets
 * of BINARY, as uprobes (-e OFF) and uretprobes (-r OFF) of one uprobe_multi
 * link each, for every process running BINARY; then runs CMD and removes them.
 *
 *     emptyprobe BINARY [-e OFF]... [-r OFF]... -- CMD [ARGS...]
 *
 * Exits with CMD's status. Built by bench/bench.py against libbpf.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>

/* Newer than Debian 12's uapi headers and libbpf 1.1.2 (see user/capture_internal.h). */
#define TRACE_UPROBE_MULTI 48
#define F_UPROBE_MULTI_RETURN 1u

struct link_create_uprobe_multi {
	__u32 prog_fd, target_fd, attach_type, flags;
	__aligned_u64 path, offsets, ref_ctr_offsets, cookies;
	__u32 cnt, uprobe_flags, pid, pad;
};

static int multi_link(int prog, const char *path, const uint64_t *offs, int n, unsigned int fl)
{
	struct link_create_uprobe_multi a;
	int fd;

	memset(&a, 0, sizeof(a));
	a.prog_fd = prog;
	a.attach_type = TRACE_UPROBE_MULTI;
	a.path = (uintptr_t)path;
	a.offsets = (uintptr_t)offs;
	a.cnt = n;
	a.uprobe_flags = fl;
	fd = (int)syscall(__NR_bpf, BPF_LINK_CREATE, &a, sizeof(a));
	return fd < 0 ? -errno : fd;
}

int main(int argc, char **argv)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	LIBBPF_OPTS(bpf_prog_load_opts, lo, .expected_attach_type = (enum bpf_attach_type)TRACE_UPROBE_MULTI);
	uint64_t ent[256], ret[256];
	int nent = 0, nret = 0, prog, links[2] = { -1, -1 }, i, st = 0;
	const char *bin;
	pid_t pid;

	if (argc < 4) {
		fprintf(stderr, "usage: emptyprobe BINARY [-e OFF]... [-r OFF]... -- CMD [ARGS...]\n");
		return 2;
	}
	bin = argv[1];
	for (i = 2; i < argc && strcmp(argv[i], "--"); i++) {
		if (i + 1 >= argc || (strcmp(argv[i], "-e") && strcmp(argv[i], "-r")) || nent >= 256 ||
		    nret >= 256) {
			fprintf(stderr, "emptyprobe: bad argument %s\n", argv[i]);
			return 2;
		}
		if (argv[i][1] == 'e')
			ent[nent++] = strtoull(argv[i + 1], NULL, 0);
		else
			ret[nret++] = strtoull(argv[i + 1], NULL, 0);
		i++;
	}
	if (i + 1 >= argc) {
		fprintf(stderr, "emptyprobe: no command\n");
		return 2;
	}
	prog = bpf_prog_load(BPF_PROG_TYPE_KPROBE, "empty", "GPL", insns, 2, &lo);
	if (prog < 0) {
		fprintf(stderr, "emptyprobe: cannot load the program: %s\n", strerror(errno));
		return 1;
	}
	if (nent)
		links[0] = multi_link(prog, bin, ent, nent, 0);
	if (nret)
		links[1] = multi_link(prog, bin, ret, nret, F_UPROBE_MULTI_RETURN);
	if ((nent && links[0] < 0) || (nret && links[1] < 0)) {
		fprintf(stderr, "emptyprobe: cannot attach: %s\n",
			strerror(-(links[0] < 0 && nent ? links[0] : links[1])));
		return 1;
	}
	pid = fork();
	if (pid == 0) {
		execvp(argv[i + 1], argv + i + 1);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &st, 0) < 0)
		st = 1 << 8;
	for (i = 0; i < 2; i++)
		if (links[i] >= 0)
			close(links[i]);
	close(prog);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}
