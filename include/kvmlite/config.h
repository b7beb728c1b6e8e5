/* SPDX-License-Identifier: MIT */
#ifndef KVMLITE_CONFIG_H
#define KVMLITE_CONFIG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <sys/types.h>

#include "block.h"
#include "chardev.h"

#define KVMLITE_VERSION		"0.1.0"
#define MACHINE_NAME		"kvmlite"
#define MAX_SERIAL_PORTS	4
#define MAX_MONITORS		8
#define DEFAULT_RAM_SIZE	(128ULL << 20)
#define MAX_VCPUS		255
#define NAME_MAX_LEN		256	/* -name strings, with the NUL */
#define MAX_DRIVES		32
#define MAX_VIRTIO_BLK		31	/* one per free PCI slot */
#define ID_MAX_LEN		128	/* id= strings, with the NUL */
#define FILE_MAX_LEN		4096	/* file= strings, with the NUL */
#define VIRTIO_BLK_ID_BYTES	20	/* what GET_ID returns of serial= */
#define VIRTIO_BLK_MAX_QUEUES	1024

/* -smp after QEMU 7.2's rules have filled in what was left out. */
struct smp_config {
	unsigned int cpus;
	unsigned int maxcpus;
	unsigned int sockets;
	unsigned int dies;
	unsigned int cores;
	unsigned int threads;
};

struct debug_exit_config {
	bool enabled;
	uint16_t iobase;
	uint16_t iosize;
};

/* -rtc: what the RTC reads at power-on. */
enum rtc_base {
	RTC_BASE_UTC,		/* the host's time in UTC (the default) */
	RTC_BASE_LOCALTIME,	/* the host's time in its local zone */
	RTC_BASE_DATE,		/* @start_epoch, then counting from there */
};

struct rtc_option {
	enum rtc_base base;
	int64_t start_epoch;	/* RTC_BASE_DATE: seconds since 1970, UTC */
};

/*
 * -drive, -hda: an image to open.  Without if= it is QEMU's IDE disk,
 * which is a virtio disk in kvmlite, named as QEMU names it.
 */
enum drive_interface {
	DRIVE_IF_DEFAULT,
	DRIVE_IF_VIRTIO,
	DRIVE_IF_NONE,
};

struct drive_config {
	const char *opt;	/* "-drive" or "-hda"; NULL for a bare name */
	const char *arg;	/* the argument as typed, for messages */
	enum drive_interface interface;
	int index;
	char id[ID_MAX_LEN];
	char file[FILE_MAX_LEN];	/* "" if the drive is empty */
	char format[16];
	/* backing-dirs=: where its backing files may be besides its own */
	char backing_dirs[FILE_MAX_LEN];
	struct block_options block;	/* points at file, format, dirs */
	bool snapshot_given;	/* snapshot= wins over -snapshot */
	char serial[VIRTIO_BLK_ID_BYTES + 1];
	bool has_serial;
	/* A key no format takes: QEMU names it once the image is open. */
	char bad_key[64];
};

/* -device virtio-blk-pci, or the one an if=virtio drive implies. */
struct blk_device_config {
	const char *opt;	/* its -device, or its drive's option */
	const char *arg;
	char id[ID_MAX_LEN];	/* "" if none */
	char drive_id[ID_MAX_LEN];
	int drive;		/* index in config.drives */
	unsigned int num_queues;	/* resolved: one per vCPU by default */
	char serial[VIRTIO_BLK_ID_BYTES + 1];
	bool has_serial;
	int slot;		/* -1: the next free one */
	int anon_index;		/* QOM peripheral-anon/device[N]; -1: id= */
};

/* -monitor (the human monitor) or -qmp, and where it listens or talks. */
enum monitor_mode {
	MONITOR_HMP,
	MONITOR_QMP,
};

struct monitor_config {
	enum monitor_mode mode;
	struct chardev_spec chr;
	bool mux;		/* shares serial0's stdio, reached with C-a c */
	const char *opt;	/* "-qmp" as typed, for messages */
	const char *arg;	/* its argument, as typed */
};

/* -netdev, -device e1000 and -nic (src/core/netopts.c). */
#define MAX_NETDEVS		8
#define MAX_NICS		8
#define NET_ID_LEN		64
#define NET_IFNAME_LEN		16	/* IFNAMSIZ, with the NUL */
#define NET_PATH_LEN		256
#define MAC_LEN			6
#define NET_DEFAULT_SCRIPT	"/etc/qemu-ifup"
#define NET_DEFAULT_DOWNSCRIPT	"/etc/qemu-ifdown"

/* -netdev tap: what to open; nothing is opened while parsing. */
struct netdev_config {
	char id[NET_ID_LEN];
	char ifname[NET_IFNAME_LEN];	/* "": the kernel names it */
	char script[NET_PATH_LEN];	/* "": script=no */
	char downscript[NET_PATH_LEN];
	int fd;				/* fd=, or -1 */
	int vnet_hdr;			/* vnet_hdr=: 0, 1, or -1 if any */
	const char *opt;		/* the option and its argument as */
	const char *arg;		/* typed, for messages */
};

/* A NIC: -device e1000 or -nic. */
struct nic_config {
	char id[NET_ID_LEN];		/* id=; "" if none */
	char netdev_id[NET_ID_LEN];	/* netdev= as given */
	bool has_netdev;
	int netdev;			/* index in netdevs[], or -1 */
	uint8_t mac[MAC_LEN];
	bool has_mac;
	int slot;			/* addr=, or -1: the first free */
	const char *opt;
	const char *arg;
};

/* Everything the command line says, validated; nothing opened yet. */
struct config {
	uint64_t ram_size;
	struct smp_config smp;
	const char *kernel;
	const char *initrd;
	const char *append;
	char name[NAME_MAX_LEN];	/* -name guest name; "" if none */
	char process_name[NAME_MAX_LEN]; /* -name process=; "" if none */
	bool debug_threads;		/* -name debug-threads=on */
	const char *cpu_model;	/* the whole -cpu argument, e.g. "host,-xsave" */
	struct chardev_spec serial[MAX_SERIAL_PORTS];
	int nr_serial;
	bool nographic;
	bool no_reboot;
	bool snapshot;		/* -snapshot: drives without snapshot= */
	struct debug_exit_config debug_exit;
	const char *log_file;	/* -D */
	bool log_unimp;		/* -d unimp */
	bool log_guest_errors;	/* -d guest_errors */
	int pin_vcpus[MAX_VCPUS];	/* -pin-vcpus: host CPU of vCPU i */
	int nr_pin_vcpus;		/* 0: no pinning */
	int pin_io;			/* -pin-io: host CPU, or -1 */
	struct rtc_option rtc;
	struct drive_config drives[MAX_DRIVES];
	int nr_drives;
	struct blk_device_config blk[MAX_VIRTIO_BLK];
	int nr_blk;
	struct monitor_config monitors[MAX_MONITORS];
	int nr_monitors;
	bool start_paused;		/* -S */
	bool daemonize;
	const char *pidfile;
	bool sandbox;			/* -sandbox on, the default */
	bool runas;			/* -runas given */
	char runas_user[NAME_MAX_LEN];	/* its user name; "" for uid:gid */
	uid_t runas_uid;
	gid_t runas_gid;
	const char *chroot_dir;		/* -chroot */
	struct netdev_config netdevs[MAX_NETDEVS];
	int nr_netdevs;
	struct nic_config nics[MAX_NICS];
	int nr_nics;
	/* -devices without id=, which QEMU numbers in its QOM tree. */
	int nr_anon_devices;
};

enum config_result {
	CONFIG_RUN,		/* start the VM */
	CONFIG_EXIT_OK,		/* -version, -help: already printed, exit 0 */
	CONFIG_ERROR,		/* @err holds one line; exit 1 */
};

/*
 * Parses argv (argv[0] is the program).  Messages name the option as the
 * user typed it: "-m foo: Parameter 'size' expects ...".  Output for
 * -version and -help goes to @out.
 */
enum config_result config_parse(struct config *cfg, int argc, char **argv,
				char *err, size_t errlen, FILE *out);

/*
 * Parses a size with QEMU's suffixes; a bare number is in @default_unit.
 * Returns 0, -EINVAL for malformed text or -ERANGE if it is 2^64 or more.
 */
int parse_size(const char *text, uint64_t default_unit, uint64_t *out);

/* -smp: parses and completes the topology; -1 with @err on bad input. */
int smp_parse(const char *text, struct smp_config *smp, char *err,
	      size_t errlen);

/*
 * QEMU's option argument syntax, "value,key=value,...", shared by the
 * parsers of -m, -smp, -name, -machine, -accel, -device and -display.
 * A bare first element is the value of an implied key; ",," stands for
 * a comma in a value.
 */
struct opt_iter {
	const char *opt;	/* "-m" as typed, for messages */
	const char *text;	/* the whole argument */
	const char *pos;	/* the next element */
	const char *implied;	/* key of a bare first element */
	bool keyval;		/* QEMU's newer syntax: a bare "key" is an error */
};

struct opt_elem {
	const char *key;	/* not NUL-terminated */
	size_t key_len;
	const char *val;	/* raw: ",," still stands for ',' */
	size_t val_len;
};

void opt_iter_init(struct opt_iter *it, const char *opt, const char *text,
		   const char *implied, bool keyval);
/* Returns 1 with the next element in @e, 0 at the end, -1 on bad syntax. */
int opt_next(struct opt_iter *it, struct opt_elem *e, char *err,
	     size_t errlen);
bool opt_key_is(const struct opt_elem *e, const char *key);
/* Copies the value with ",," turned into ','; -1 if it doesn't fit. */
int opt_val_copy(const struct opt_elem *e, char *buf, size_t len);
bool opt_val_is(const struct opt_elem *e, const char *s);
/* QEMU's on/off, yes/no, true/false, y/n; -1 with @err otherwise. */
int opt_parse_bool(const struct opt_iter *it, const struct opt_elem *e,
		   bool *out, char *err, size_t errlen);
/* An integer in any C base up to @max, @type naming the range. */
int opt_parse_uint(const struct opt_iter *it, const struct opt_elem *e,
		   uint64_t max, const char *type, uint64_t *out, char *err,
		   size_t errlen);
/* Writes "<opt> <text>: <message>" to @err; returns -1. */
int opt_fail(const struct opt_iter *it, char *err, size_t errlen,
	     const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/*
 * Repeated -m and -smp options merge key by key, as QEMU's do, and are
 * only checked as a whole once the command line has been read.
 */
struct mem_args {
	char size_text[64];	/* the last size= as typed; "" if none */
	uint64_t size;		/* its value read as bytes */
	uint64_t slots;
	uint64_t maxmem;
	bool has_slots;
	bool has_maxmem;
};

int mem_args_add(struct mem_args *mem, const char *opt, const char *text,
		 char *err, size_t errlen);
int mem_args_finish(const struct mem_args *mem, uint64_t *ram_size,
		    char *err, size_t errlen);

enum smp_key {
	SMP_CPUS, SMP_SOCKETS, SMP_DIES, SMP_CLUSTERS, SMP_CORES,
	SMP_THREADS, SMP_MAXCPUS, SMP_NR_KEYS
};

struct smp_args {
	struct opt_elem given[SMP_NR_KEYS];	/* .val NULL if not given */
};

int smp_args_add(struct smp_args *args, const char *opt, const char *text,
		 char *err, size_t errlen);
/* src/core/netopts.c: each returns 0, or -1 with one line in @err. */
int netdev_add(struct config *cfg, const char *opt, const char *text,
	       char *err, size_t errlen);
int nic_device_add(struct config *cfg, const char *opt, const char *text,
		   char *err, size_t errlen);
int nic_shorthand_add(struct config *cfg, const char *opt, const char *text,
		      char *err, size_t errlen);
/* -sandbox, -runas (src/core/privilege.c); 0 or -1. */
int sandbox_option(struct config *cfg, const char *opt, const char *text,
		   char *err, size_t errlen);
int runas_option(struct config *cfg, const char *opt, const char *text,
		 char *err, size_t errlen);
/* Connects NICs to netdevs and gives default MACs. */
int net_finish(struct config *cfg, char *err, size_t errlen);
/* "52:54:00:12:34:56" (or with '-'); 0 or -1. */
int parse_mac(const char *text, uint8_t *mac);

int smp_args_finish(const struct smp_args *args, struct smp_config *smp,
		    char *err, size_t errlen);

/*
 * -drive, -hda and -device virtio-blk-pci (src/core/drive.c); 0 or -1
 * with @err.  @opt is the option as typed, NULL for a bare image name.
 * drives_finish() resolves drive= references and adds the devices that
 * drives without if=none imply, once -smp is known.
 */
int drive_add(struct config *cfg, const char *opt, const char *text,
	      char *err, size_t errlen);
int drive_add_disk(struct config *cfg, const char *opt, const char *file,
		   int index, char *err, size_t errlen);
int virtio_blk_add(struct config *cfg, const char *opt, const char *text,
		   char *err, size_t errlen);
int drives_finish(struct config *cfg, char *err, size_t errlen);
/* "<opt> <arg>: <message>" (just "<arg>: " without @opt); returns -1. */
int config_error(char *err, size_t errlen, const char *opt, const char *arg,
		 const char *fmt, ...) __attribute__((format(printf, 5, 6)));
int config_verror(char *err, size_t errlen, const char *opt,
		  const char *arg, const char *fmt, va_list ap)
	__attribute__((format(printf, 5, 0)));

#endif
