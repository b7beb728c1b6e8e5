// SPDX-License-Identifier: MIT
#include <signal.h>
#include <stdio.h>
#include <sys/prctl.h>

#include "kvmlite/config.h"
#include "kvmlite/daemon.h"
#include "kvmlite/ioloop.h"
#include "kvmlite/log.h"
#include "kvmlite/machine.h"
#include "kvmlite/monitor.h"
#include "kvmlite/net.h"
#include "kvmlite/privilege.h"
#include "kvmlite/sandbox.h"

/* Everything before the guest runs; the error is left in @err. */
static int setup(const struct config *cfg, struct machine *m,
		 struct monitor **mon, char *err, size_t errlen)
{
	if (cfg->pidfile && pidfile_create(cfg->pidfile, err, errlen))
		return -1;
	if (cfg->process_name[0])
		prctl(PR_SET_NAME, cfg->process_name);
	if (cfg->log_file && log_set_file(cfg->log_file)) {
		snprintf(err, errlen, "-D %s: cannot open the log file: %m",
			 cfg->log_file);
		return -1;
	}
	if (machine_init(m, cfg, err, errlen))
		return -1;
	*mon = monitor_new(m, err, errlen);
	return *mon ? 0 : -1;
}

/*
 * Everything is open: give up what running the guest does not need.
 * The threads take on their sandbox roles as they start.
 */
static int confine(const struct config *cfg, char *err, size_t errlen)
{
	if ((cfg->sandbox || cfg->runas || cfg->chroot_dir) &&
	    net_script_helper_start(cfg->daemonize)) {
		snprintf(err, errlen, "cannot start the network script helper: %m");
		return -1;
	}
	/* Before the chroot: a sanitizer build's leak check reads /proc. */
	if (cfg->sandbox)
		sandbox_arm();
	return privileges_drop(cfg, err, errlen);
}

int main(int argc, char **argv)
{
	static struct config cfg;
	static struct machine m;
	struct monitor *mon = NULL;
	int status, daemon_fd = -1;
	char err[1024];

	switch (config_parse(&cfg, argc, argv, err, sizeof(err), stdout)) {
	case CONFIG_EXIT_OK:
		return 0;
	case CONFIG_ERROR:
		error_report("%s", err);
		return 1;
	case CONFIG_RUN:
		break;
	}
	/* A monitor client that goes away must not kill kvmlite. */
	signal(SIGPIPE, SIG_IGN);
	if (cfg.daemonize) {
		daemon_fd = daemon_begin(err, sizeof(err));
		if (daemon_fd < 0) {
			error_report("%s", err);
			return 1;
		}
	}
	if (setup(&cfg, &m, &mon, err, sizeof(err)) ||
	    confine(&cfg, err, sizeof(err))) {
		monitor_close(mon);
		machine_close(&m);
		error_report("%s", err);
		return 1;
	}
	if (daemon_fd >= 0)
		daemon_ready(daemon_fd);
	status = machine_run(&m);
	/* The I/O thread stops first: nothing may use what is closed next. */
	if (m.ioloop)
		ioloop_stop(m.ioloop);
	monitor_close(mon);
	machine_close(&m);
	/* The vCPU threads are parked; exit ends them with the process. */
	return status;
}
