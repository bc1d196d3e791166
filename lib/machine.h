/*
 * machine.h: the size of this machine as placement weighs it.
 *
 * A node's agent registers these figures for its node, and a head with
 * no node (no agent_url, or before its agent answered) places on this
 * machine by the same ones, so both paths count a package against the
 * same memory and CPUs.
 */
#ifndef SDC_MACHINE_H
#define SDC_MACHINE_H

#include <stdint.h>

#include "error.h"

struct machine_size {
	int64_t memory;		/* bytes of RAM */
	int cpus;		/* online CPUs */
};

/* This machine's memory (sysinfo) and online CPUs. */
int machine_size_read(struct machine_size *m, sdc_error_t *err);

#endif
