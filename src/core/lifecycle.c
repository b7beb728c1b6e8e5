// SPDX-License-Identifier: MIT
/*
 * The machine's life once it is built: the run state the monitor reports,
 * stop and cont, resets, the power button, the ways out, and the events
 * that tell a monitor about each.
 *
 * Requests to reset or exit can come from any thread; the main thread
 * carries them out with every vCPU parked, so no device is in use while
 * it is reset.  A vCPU parks whenever m->pause is set, and m->pause is
 * set exactly when a request is pending or the run state is not
 * "running": stop, cont, -S and requests all come down to recomputing it
 * (update_pause_locked).
 *
 * Events reach the listeners with m->lock held, so they are heard in the
 * order things happened: a STOP is queued before the answer to the stop
 * command that caused it, as QEMU sends them.
 *
 * SIGTERM, SIGINT and SIGHUP end the machine like "quit" does; they are
 * blocked in every thread and read from a signalfd on the I/O thread, so
 * no handler runs in the middle of anything.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "kvmlite/ioloop.h"
#include "kvmlite/log.h"
#include "kvmlite/machine.h"
#include "kvmlite/sandbox.h"

#define PARK_TIMEOUT_S	2
#define RESET_TIMEOUT_S	10

static const char *const run_state_names[] = {
	[RUN_STATE_PRELAUNCH] = "prelaunch",
	[RUN_STATE_RUNNING] = "running",
	[RUN_STATE_PAUSED] = "paused",
	[RUN_STATE_SHUTDOWN] = "shutdown",
	[RUN_STATE_INTERNAL_ERROR] = "internal-error",
};

static const char *const cause_names[] = {
	[SHUTDOWN_CAUSE_NONE] = "none",
	[SHUTDOWN_CAUSE_HOST_ERROR] = "host-error",
	[SHUTDOWN_CAUSE_HOST_QMP_QUIT] = "host-qmp-quit",
	[SHUTDOWN_CAUSE_HOST_QMP_SYSTEM_RESET] = "host-qmp-system-reset",
	[SHUTDOWN_CAUSE_HOST_SIGNAL] = "host-signal",
	[SHUTDOWN_CAUSE_GUEST_SHUTDOWN] = "guest-shutdown",
	[SHUTDOWN_CAUSE_GUEST_RESET] = "guest-reset",
};

const char *run_state_name(enum run_state state)
{
	return run_state_names[state];
}

const char *shutdown_cause_name(enum shutdown_cause cause)
{
	return cause_names[cause];
}

static void notify_locked(struct machine *m, enum machine_event_type type,
			  enum shutdown_cause cause)
{
	struct machine_event ev = { type, cause };
	struct machine_listener *l;

	for (l = m->listeners; l; l = l->next)
		l->fn(l->opaque, &ev);
}

static void kick_all(struct machine *m)
{
	int i;

	for (i = 0; i < m->nr_vcpus; i++)
		vcpu_kick(&m->vcpus[i]);
}

/* Parks the vCPUs, or lets them go, as the request and state now say. */
static void update_pause_locked(struct machine *m)
{
	bool pause = m->request != MACHINE_RUNNING ||
		     m->run_state != RUN_STATE_RUNNING;

	if (pause != m->pause) {
		__atomic_store_n(&m->pause, pause, __ATOMIC_SEQ_CST);
		if (pause)
			kick_all(m);
	}
	pthread_cond_broadcast(&m->cond);
}

/* Waits, with m->lock held, until every vCPU is parked. */
static int wait_parked_locked(struct machine *m)
{
	struct timespec deadline;

	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += PARK_TIMEOUT_S;
	while (m->nr_parked < m->nr_vcpus) {
		if (pthread_cond_timedwait(&m->cond, &m->lock, &deadline) ==
		    ETIMEDOUT)
			return -1;
	}
	return 0;
}

/* The first way out asked for wins. */
static void request_exit_locked(struct machine *m, int status,
				enum shutdown_cause cause,
				enum run_state state)
{
	if (m->request == MACHINE_EXIT)
		return;
	m->request = MACHINE_EXIT;
	m->exit_status = status;
	m->run_state = state;
	update_pause_locked(m);
	if (cause != SHUTDOWN_CAUSE_NONE)
		notify_locked(m, MACHINE_EVENT_SHUTDOWN, cause);
}

static void request_exit(struct machine *m, int status,
			 enum shutdown_cause cause, enum run_state state)
{
	pthread_mutex_lock(&m->lock);
	request_exit_locked(m, status, cause, state);
	pthread_mutex_unlock(&m->lock);
}

void machine_request_exit(struct machine *m, int status)
{
	request_exit(m, status, SHUTDOWN_CAUSE_NONE, RUN_STATE_SHUTDOWN);
}

void machine_request_shutdown(struct machine *m, enum shutdown_cause cause)
{
	request_exit(m, 0, cause, RUN_STATE_SHUTDOWN);
}

void machine_guest_crashed(struct machine *m)
{
	request_exit(m, EXIT_STATUS_VCPU_CRASH, SHUTDOWN_CAUSE_HOST_ERROR,
		     RUN_STATE_INTERNAL_ERROR);
}

static void request_reset_locked(struct machine *m, enum shutdown_cause cause)
{
	if (m->request != MACHINE_RUNNING)
		return;
	m->request = MACHINE_RESET;
	m->reset_cause = cause;
	update_pause_locked(m);
}

/* -no-reboot: a reset ends kvmlite cleanly instead, as in QEMU. */
static bool reset_means_exit(struct machine *m, enum shutdown_cause cause)
{
	if (!m->cfg->no_reboot)
		return false;
	machine_request_shutdown(m, cause);
	return true;
}

void machine_request_reset(struct machine *m)
{
	if (reset_means_exit(m, SHUTDOWN_CAUSE_GUEST_RESET))
		return;
	pthread_mutex_lock(&m->lock);
	request_reset_locked(m, SHUTDOWN_CAUSE_GUEST_RESET);
	pthread_mutex_unlock(&m->lock);
}

enum run_state machine_run_state(struct machine *m)
{
	enum run_state state;

	pthread_mutex_lock(&m->lock);
	state = m->run_state;
	pthread_mutex_unlock(&m->lock);
	return state;
}

/*
 * Returns once no vCPU is in the guest any more.  A vCPU busy with a
 * device finishes that access first; one that takes longer than
 * PARK_TIMEOUT_S is reported but cannot enter the guest again either.
 */
void machine_stop(struct machine *m)
{
	pthread_mutex_lock(&m->lock);
	if (m->run_state == RUN_STATE_RUNNING) {
		m->run_state = RUN_STATE_PAUSED;
		update_pause_locked(m);
		if (wait_parked_locked(m))
			warn_report("stop: a vCPU is still busy after %d s",
				    PARK_TIMEOUT_S);
		notify_locked(m, MACHINE_EVENT_STOP, SHUTDOWN_CAUSE_NONE);
	}
	pthread_mutex_unlock(&m->lock);
}

int machine_cont(struct machine *m)
{
	int ret = 0;

	pthread_mutex_lock(&m->lock);
	if (m->run_state == RUN_STATE_SHUTDOWN ||
	    m->run_state == RUN_STATE_INTERNAL_ERROR) {
		ret = -1;
	} else if (m->run_state != RUN_STATE_RUNNING) {
		m->run_state = RUN_STATE_RUNNING;
		update_pause_locked(m);
		notify_locked(m, MACHINE_EVENT_RESUME, SHUTDOWN_CAUSE_NONE);
	}
	pthread_mutex_unlock(&m->lock);
	return ret;
}

/* Returns once the main thread has reset the machine (RESET is queued). */
void machine_system_reset(struct machine *m)
{
	struct timespec deadline;
	unsigned int done;

	if (reset_means_exit(m, SHUTDOWN_CAUSE_HOST_QMP_SYSTEM_RESET))
		return;
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += RESET_TIMEOUT_S;
	pthread_mutex_lock(&m->lock);
	done = m->resets_done;
	request_reset_locked(m, SHUTDOWN_CAUSE_HOST_QMP_SYSTEM_RESET);
	while (m->resets_done == done && m->request == MACHINE_RESET)
		if (pthread_cond_timedwait(&m->cond, &m->lock, &deadline) ==
		    ETIMEDOUT)
			break;
	pthread_mutex_unlock(&m->lock);
}

void machine_system_powerdown(struct machine *m)
{
	struct machine_hook *h;

	pthread_mutex_lock(&m->lock);
	notify_locked(m, MACHINE_EVENT_POWERDOWN, SHUTDOWN_CAUSE_NONE);
	pthread_mutex_unlock(&m->lock);
	for (h = m->powerdown_hooks; h; h = h->next)
		h->fn(h->opaque);
}

/* --- signals ------------------------------------------------------------- */

/* QEMU's message: "terminating on signal 15 from pid 4242 (bash)". */
static void report_signal(const struct signalfd_siginfo *si)
{
	char path[64], cmd[256] = "";
	ssize_t n;
	int fd;

	if (!si->ssi_pid) {
		error_report("terminating on signal %u", si->ssi_signo);
		return;
	}
	snprintf(path, sizeof(path), "/proc/%u/cmdline", si->ssi_pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, cmd, sizeof(cmd) - 1);
		cmd[n > 0 ? n : 0] = '\0';
		close(fd);
	}
	error_report("terminating on signal %u from pid %u (%s)",
		     si->ssi_signo, si->ssi_pid, cmd);
}

/* Only the signal that ends the machine is reported, as in QEMU. */
static void on_signal(void *opaque, uint32_t events)
{
	struct machine *m = opaque;
	struct signalfd_siginfo si;
	bool first;

	(void)events;
	while (read(m->signal_fd, &si, sizeof(si)) == sizeof(si)) {
		pthread_mutex_lock(&m->lock);
		first = m->request != MACHINE_EXIT;
		request_exit_locked(m, 0, SHUTDOWN_CAUSE_HOST_SIGNAL,
				    RUN_STATE_SHUTDOWN);
		pthread_mutex_unlock(&m->lock);
		if (first)
			report_signal(&si);
	}
}

static void termination_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGHUP);
}

/*
 * Before any thread starts (disk workers start while the machine is set
 * up), so that all of them inherit the mask and a termination signal can
 * only be taken from the signalfd.
 */
void machine_block_signals(void)
{
	sigset_t set;

	termination_signals(&set);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
}

static int catch_signals(struct machine *m)
{
	sigset_t set;

	termination_signals(&set);
	m->signal_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (m->signal_fd < 0 ||
	    ioloop_add(m->ioloop, m->signal_fd, EPOLLIN, on_signal, m))
		return -1;
	return 0;
}

/* --- running ------------------------------------------------------------- */

/*
 * The vCPU threads start parked and announce themselves, so that their
 * thread IDs are known before the monitor can be asked for them; then the
 * I/O thread starts, and the vCPUs run unless -S keeps them waiting.
 */
static int start_threads(struct machine *m)
{
	int i, ret = 0;

	if (catch_signals(m)) {
		error_report("cannot catch signals: %s", strerror(errno));
		return -1;
	}
	pthread_mutex_lock(&m->lock);
	__atomic_store_n(&m->pause, true, __ATOMIC_SEQ_CST);
	for (i = 0; i < m->nr_vcpus && !ret; i++) {
		ret = vcpu_start(&m->vcpus[i]);
		if (ret)
			error_report("cannot start vCPU %d thread", i);
	}
	if (!ret && wait_parked_locked(m)) {
		error_report("the vCPU threads did not start");
		ret = -1;
	}
	pthread_mutex_unlock(&m->lock);
	if (ret)
		return -1;
	if (ioloop_start(m->ioloop) ||
	    (m->cfg->pin_io >= 0 && ioloop_pin(m->ioloop, m->cfg->pin_io))) {
		error_report("cannot start the I/O thread");
		return -1;
	}
	pthread_mutex_lock(&m->lock);
	update_pause_locked(m);
	pthread_mutex_unlock(&m->lock);
	return 0;
}

/*
 * Waits for the next request and carries out a reset; false once the
 * machine is to end.  As in QEMU, a machine reset while stopped comes
 * back as not yet started (prelaunch).
 */
static bool serve_request_locked(struct machine *m)
{
	while (m->request == MACHINE_RUNNING)
		pthread_cond_wait(&m->cond, &m->lock);
	if (wait_parked_locked(m) && m->request == MACHINE_RESET) {
		error_report("reset: a vCPU did not stop");
		m->request = MACHINE_RUNNING;
		request_exit_locked(m, EXIT_STATUS_ERROR, SHUTDOWN_CAUSE_NONE,
				    RUN_STATE_SHUTDOWN);
	}
	if (m->request == MACHINE_EXIT)
		return false;
	if (machine_reset(m)) {
		m->request = MACHINE_RUNNING;
		request_exit_locked(m, EXIT_STATUS_ERROR, SHUTDOWN_CAUSE_NONE,
				    RUN_STATE_SHUTDOWN);
		return false;
	}
	m->request = MACHINE_RUNNING;
	if (m->run_state != RUN_STATE_RUNNING)
		m->run_state = RUN_STATE_PRELAUNCH;
	m->resets_done++;
	notify_locked(m, MACHINE_EVENT_RESET, m->reset_cause);
	update_pause_locked(m);
	return true;
}

static void run_exit_hooks(struct machine *m)
{
	struct machine_hook *h;

	for (h = m->exit_hooks; h; h = h->next)
		h->fn(h->opaque);
}

int machine_run(struct machine *m)
{
	int status;

	if (start_threads(m))
		return EXIT_STATUS_ERROR;
	/* Only now: the threads it started must not inherit its filter. */
	sandbox_enter(SANDBOX_MAIN);
	pthread_mutex_lock(&m->lock);
	while (serve_request_locked(m))
		;
	status = m->exit_status;
	pthread_mutex_unlock(&m->lock);
	run_exit_hooks(m);
	return status;
}
