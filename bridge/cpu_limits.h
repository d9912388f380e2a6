/* How many CPUs this process may use: the CPUs of its affinity mask
 * (sched_getaffinity: taskset, Slurm's --cpus-per-task, a container's cpuset)
 * capped by its cgroup CPU quota (cgroup v2 cpu.max, or v1 cpu.cfs_quota_us /
 * cpu.cfs_period_us), at least 1. The online count is not it: under
 * `taskset -c 0` on a 64-core machine, one CPU is all there is.
 *
 * Process policy read from /proc and /sys, so it lives beside core.proc
 * (bridge/lua_proc.c), never in the engine. The two parsers are pure and have
 * no Lua in them, for tests/bridge/test_cpu_limits.c. */
#ifndef NNLAB_CPU_LIMITS_H
#define NNLAB_CPU_LIMITS_H

/* The CPUs a cgroup v2 cpu.max text allows: "QUOTA PERIOD" (microseconds,
 * with or without a final newline) gives ceil(QUOTA / PERIOD); "max PERIOD"
 * (no limit) and any other text give 0, "no quota". */
int cpu_quota_from_cpu_max(const char *text);

/* The same for cgroup v1, from the texts of cpu.cfs_quota_us and
 * cpu.cfs_period_us: ceil(quota / period); 0 for a quota of -1 (no limit) or
 * malformed text. */
int cpu_quota_from_cfs(const char *quota_text, const char *period_text);

/* A cgroup folder's path, and a file's in it. */
#define CPU_LIMITS_PATH_MAX 512
#define CPU_LIMITS_FILE_PATH_MAX (CPU_LIMITS_PATH_MAX + 32)

typedef struct cpu_limits {
    int cpus;     /* what to use: min(affinity, quota), at least 1 */
    int online;   /* sysconf(_SC_NPROCESSORS_ONLN), at least 1 */
    int affinity; /* CPUs in sched_getaffinity(0); 0 when it could not be read */
    int quota;    /* the smallest cgroup quota on the way to the root, in CPUs
                     rounded up; 0 for none */
    char quota_file[CPU_LIMITS_FILE_PATH_MAX]; /* the file that set `quota`; "" for none */
} cpu_limits;

/* Fills *limits from the affinity mask and the cgroup files of this process.
 * Never fails: what cannot be read limits nothing. */
void cpu_limits_read(cpu_limits *limits);

#endif
