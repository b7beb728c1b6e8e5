// SPDX-License-Identifier: MIT
#include <stdio.h>
#include <sys/prctl.h>

#include "kvmlite/config.h"
#include "kvmlite/log.h"
#include "kvmlite/machine.h"

int main(int argc, char **argv)
{
	static struct config cfg;
	static struct machine m;
	char err[1024];
	int status;

	switch (config_parse(&cfg, argc, argv, err, sizeof(err), stdout)) {
	case CONFIG_EXIT_OK:
		return 0;
	case CONFIG_ERROR:
		error_report("%s", err);
		return 1;
	case CONFIG_RUN:
		break;
	}
	if (cfg.process_name[0])
		prctl(PR_SET_NAME, cfg.process_name);
	if (cfg.log_file && log_set_file(cfg.log_file)) {
		error_report("-D %s: cannot open the log file: %m",
			     cfg.log_file);
		return 1;
	}
	if (machine_init(&m, &cfg, err, sizeof(err))) {
		machine_close(&m);
		error_report("%s", err);
		return 1;
	}
	status = machine_run(&m);
	machine_close(&m);
	/* The vCPU threads are parked; exit ends them with the process. */
	return status;
}
