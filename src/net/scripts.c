// SPDX-License-Identifier: MIT
/*
 * The down-script helper.  Once the sandbox is on, kvmlite cannot fork,
 * and after -runas it may lack the right to take an interface down, so
 * a helper forked before either keeps what the scripts need.  It only
 * runs the scripts recorded before it was forked, picked by handle: a
 * compromised kvmlite can ask it for nothing else.  It ends when kvmlite
 * closes its end of the socket, however kvmlite ends.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "kvmlite/config.h"
#include "kvmlite/net.h"

struct downscript {
	char script[NET_PATH_LEN];
	char ifname[NET_IFNAME_LEN];
};

static struct downscript scripts[MAX_NETDEVS];
static int nr_scripts;
static int helper_fd = -1;

int net_downscript_add(const char *script, const char *ifname)
{
	struct downscript *d;

	if (nr_scripts == MAX_NETDEVS)
		return -1;
	d = &scripts[nr_scripts];
	strncpy(d->script, script, sizeof(d->script) - 1);
	strncpy(d->ifname, ifname, sizeof(d->ifname) - 1);
	return nr_scripts++;
}

static void detach_stdio(void)
{
	int null = open("/dev/null", O_RDWR);

	if (null < 0)
		return;
	dup2(null, STDIN_FILENO);
	dup2(null, STDOUT_FILENO);
	dup2(null, STDERR_FILENO);
	close(null);
}

/* The helper: keeps only stdio and its socket, as fd 3. */
static void __attribute__((noreturn)) helper_main(int fd, bool detach)
{
	int handle, status;

	if (detach)
		detach_stdio();
	if (fd != STDERR_FILENO + 1 && dup2(fd, STDERR_FILENO + 1) < 0)
		_exit(1);
	fd = STDERR_FILENO + 1;
	close_range(fd + 1, ~0U, 0);
	while (read(fd, &handle, sizeof(handle)) == sizeof(handle)) {
		status = 1 << 8;
		if (handle >= 0 && handle < nr_scripts)
			status = net_run_script(scripts[handle].script,
						scripts[handle].ifname);
		if (write(fd, &status, sizeof(status)) != sizeof(status))
			break;
	}
	_exit(0);
}

int net_script_helper_start(bool detach)
{
	int fds[2];
	pid_t pid;

	if (!nr_scripts)
		return 0;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds))
		return -1;
	pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (pid == 0)
		helper_main(fds[1], detach);
	close(fds[1]);
	helper_fd = fds[0];
	return 0;
}

int net_downscript_run(int handle)
{
	int status;

	if (helper_fd < 0)
		return net_run_script(scripts[handle].script,
				      scripts[handle].ifname);
	if (write(helper_fd, &handle, sizeof(handle)) != sizeof(handle) ||
	    read(helper_fd, &status, sizeof(status)) != sizeof(status))
		return 1 << 8;
	return status;
}
