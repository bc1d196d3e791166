/*
 * machine.c: the size of this machine as placement weighs it.
 *
 * The memory is sysinfo's total RAM and the CPUs are the online ones,
 * not those configured: a CPU taken offline runs no container.  Neither
 * is cached; an operator may add memory or CPUs to a running machine
 * and the next registration or placement sees them.
 */
#include <errno.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include "machine.h"

int
machine_size_read(struct machine_size *m, sdc_error_t *err)
{
	struct sysinfo si;
	long cpus;

	if (sysinfo(&si) != 0)
		return sdc_make_error(err, errno, "sysinfo");
	cpus = sysconf(_SC_NPROCESSORS_ONLN);
	if (cpus < 1)
		return sdc_make_error(err, errno, "the number of online CPUs");
	m->memory = (int64_t)si.totalram * si.mem_unit;
	m->cpus = (int)cpus;
	return 0;
}
