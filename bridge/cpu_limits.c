/* The CPUs this process may use (bridge/cpu_limits.h): its affinity mask
 * capped by its cgroup CPU quota.
 *
 * The cgroup files are found as the kernel describes them: /proc/self/cgroup
 * names this process's cgroup per hierarchy ("0::/PATH" for v2,
 * "N:cpu,cpuacct:/PATH" for v1), /proc/self/mountinfo where each hierarchy is
 * mounted and which of its folders the mount shows (a container sees only its
 * own subtree). Every folder from the process's cgroup up to the mount point
 * may carry a quota; the smallest one limits. */
#define _GNU_SOURCE /* sched_getaffinity, CPU_ALLOC and CPU_COUNT_S; before any include */

#include "cpu_limits.h"

#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Files under /proc and /sys this reads are a line or a few hundred lines. */
#define CPU_LIMITS_LINE_MAX 4096
#define CPU_LIMITS_FILE_MAX 128

/* ---- parsers (pure) -------------------------------------------------------- */

/* Reads the decimal digits at *p into *value (no sign, no overflow); advances *p. */
static bool parse_count(const char **p, uint64_t *value)
{
    const char *s = *p;
    uint64_t v = 0;
    if (*s < '0' || *s > '9')
        return false;
    for (; *s >= '0' && *s <= '9'; s++) {
        unsigned digit = (unsigned)(*s - '0');
        if (v > (UINT64_MAX - digit) / 10)
            return false;
        v = v * 10 + digit;
    }
    *p = s;
    *value = v;
    return true;
}

/* True when only an optional final newline is left at p. */
static bool at_end(const char *p) { return p[0] == '\0' || (p[0] == '\n' && p[1] == '\0'); }

/* ceil(quota / period) in CPUs, at most INT_MAX; 0 for a zero quota or period. */
static int quota_cpus(uint64_t quota, uint64_t period)
{
    if (quota == 0 || period == 0)
        return 0;
    uint64_t cpus = quota / period + (quota % period != 0);
    return cpus > INT_MAX ? INT_MAX : (int)cpus;
}

int cpu_quota_from_cpu_max(const char *text)
{
    const char *p = text;
    uint64_t quota, period;
    if (strncmp(p, "max ", 4) == 0)
        return 0;
    if (!parse_count(&p, &quota) || *p++ != ' ' || !parse_count(&p, &period) || !at_end(p))
        return 0;
    return quota_cpus(quota, period);
}

int cpu_quota_from_cfs(const char *quota_text, const char *period_text)
{
    const char *q = quota_text, *p = period_text;
    uint64_t quota, period;
    if (!parse_count(&q, &quota) || !at_end(q)) /* "-1": no limit */
        return 0;
    if (!parse_count(&p, &period) || !at_end(p))
        return 0;
    return quota_cpus(quota, period);
}

/* ---- reading the system ---------------------------------------------------- */

/* Reads a small file into buf, NUL-terminated; false if it cannot be read. */
static bool read_small_file(const char *path, char *buf, size_t size)
{
    FILE *f = fopen(path, "re");
    if (!f)
        return false;
    size_t n = fread(buf, 1, size - 1, f);
    bool ok = !ferror(f);
    fclose(f);
    buf[n] = '\0';
    return ok;
}

/* The CPUs in this process's affinity mask; 0 if it cannot be read. The mask
 * is sized at run time and grown until the kernel accepts it, so machines with
 * more CPUs than a fixed cpu_set_t holds (1024) are counted too. */
static int affinity_cpus(void)
{
    for (int n = 1024; n <= (1 << 22); n *= 2) {
        cpu_set_t *set = CPU_ALLOC(n);
        if (!set)
            return 0;
        size_t size = CPU_ALLOC_SIZE(n);
        CPU_ZERO_S(size, set);
        if (sched_getaffinity(0, size, set) == 0) {
            int count = CPU_COUNT_S(size, set);
            CPU_FREE(set);
            return count;
        }
        int error = errno;
        CPU_FREE(set);
        if (error != EINVAL) /* EINVAL: the kernel's mask is larger than ours */
            return 0;
    }
    return 0;
}

/* Undoes mountinfo's octal escapes ("\040" for a space) in place. */
static void unescape_mountinfo(char *s)
{
    char *out = s;
    for (const char *in = s; *in; ) {
        if (in[0] == '\\' && in[1] >= '0' && in[1] <= '3' && in[2] >= '0' && in[2] <= '7' &&
            in[3] >= '0' && in[3] <= '7') {
            *out++ = (char)((in[1] - '0') * 64 + (in[2] - '0') * 8 + (in[3] - '0'));
            in += 4;
        } else {
            *out++ = *in++;
        }
    }
    *out = '\0';
}

/* True when the comma-separated list holds `word`. */
static bool list_has(const char *list, const char *word)
{
    size_t len = strlen(word);
    for (const char *p = list; *p; ) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        if (n == len && strncmp(p, word, len) == 0)
            return true;
        if (!comma)
            break;
        p = comma + 1;
    }
    return false;
}

/* The mount of a cgroup hierarchy: v2 (`v1` false) or v1's with the cpu
 * controller. Fills root (the hierarchy's folder the mount shows) and point
 * (where it is mounted); false when there is none. */
static bool find_mount(bool v1, char *root, char *point, size_t size)
{
    FILE *f = fopen("/proc/self/mountinfo", "re");
    if (!f)
        return false;
    char line[CPU_LIMITS_LINE_MAX];
    bool found = false;
    while (!found && fgets(line, sizeof line, f)) {
        /* ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTS */
        char *fields[5], *save = NULL, *tok = strtok_r(line, " \n", &save);
        int n = 0;
        for (; tok && n < 5; tok = strtok_r(NULL, " \n", &save))
            fields[n++] = tok;
        if (n < 5)
            continue;
        while (tok && strcmp(tok, "-") != 0)
            tok = strtok_r(NULL, " \n", &save);
        char *fstype = strtok_r(NULL, " \n", &save);
        char *source = strtok_r(NULL, " \n", &save);
        char *superopts = strtok_r(NULL, " \n", &save);
        if (!tok || !fstype || !source || !superopts)
            continue;
        if (v1 ? strcmp(fstype, "cgroup") == 0 && list_has(superopts, "cpu")
               : strcmp(fstype, "cgroup2") == 0) {
            unescape_mountinfo(fields[3]);
            unescape_mountinfo(fields[4]);
            found = strlen(fields[3]) < size && strlen(fields[4]) < size;
            if (found) {
                strcpy(root, fields[3]);
                strcpy(point, fields[4]);
            }
        }
    }
    fclose(f);
    return found;
}

/* This process's cgroup in the v2 hierarchy ("0::PATH") or v1's cpu one
 * ("N:...,cpu,...:PATH"); false when /proc/self/cgroup names none. */
static bool find_cgroup(bool v1, char *path, size_t size)
{
    FILE *f = fopen("/proc/self/cgroup", "re");
    if (!f)
        return false;
    char line[CPU_LIMITS_LINE_MAX];
    bool found = false;
    while (!found && fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        char *first = strchr(line, ':');
        char *second = first ? strchr(first + 1, ':') : NULL;
        if (!second)
            continue;
        *first = *second = '\0';
        const char *controllers = first + 1, *cgroup = second + 1;
        bool match = v1 ? list_has(controllers, "cpu")
                        : strcmp(line, "0") == 0 && controllers[0] == '\0';
        if (match && strlen(cgroup) < size) {
            strcpy(path, cgroup);
            found = true;
        }
    }
    fclose(f);
    return found;
}

/* The quota in one cgroup folder, in CPUs (0 for none); *file names the file read. */
static int folder_quota(bool v1, const char *dir, char *file, size_t size)
{
    char text[CPU_LIMITS_FILE_MAX], period[CPU_LIMITS_FILE_MAX];
    if (!v1) {
        snprintf(file, size, "%s/cpu.max", dir);
        return read_small_file(file, text, sizeof text) ? cpu_quota_from_cpu_max(text) : 0;
    }
    char period_file[CPU_LIMITS_FILE_PATH_MAX];
    snprintf(period_file, sizeof period_file, "%s/cpu.cfs_period_us", dir);
    snprintf(file, size, "%s/cpu.cfs_quota_us", dir);
    if (!read_small_file(file, text, sizeof text) || !read_small_file(period_file, period, sizeof period))
        return 0;
    return cpu_quota_from_cfs(text, period);
}

/* The smallest quota from this process's cgroup up to its hierarchy's mount
 * point, in CPUs (0 for none); its file goes to limits->quota_file. */
static int hierarchy_quota(bool v1, cpu_limits *limits)
{
    char root[CPU_LIMITS_PATH_MAX], point[CPU_LIMITS_PATH_MAX], cgroup[CPU_LIMITS_PATH_MAX];
    if (!find_mount(v1, root, point, sizeof root) || !find_cgroup(v1, cgroup, sizeof cgroup))
        return 0;
    /* The cgroup path is the hierarchy's; the mount shows it from `root` on. */
    const char *rel = cgroup;
    size_t root_len = strlen(root);
    if (strcmp(root, "/") != 0) {
        if (strncmp(cgroup, root, root_len) != 0 || (cgroup[root_len] != '/' && cgroup[root_len] != '\0'))
            return 0; /* outside what is mounted here */
        rel = cgroup + root_len;
    }
    if (strncmp(rel, "/..", 3) == 0) /* another namespace's cgroup: not visible */
        return 0;
    char dir[CPU_LIMITS_PATH_MAX];
    if (snprintf(dir, sizeof dir, "%s%s", strcmp(point, "/") == 0 ? "" : point, rel) >= (int)sizeof dir)
        return 0;
    size_t top = strlen(point);
    while (strlen(dir) > 1 && dir[strlen(dir) - 1] == '/')
        dir[strlen(dir) - 1] = '\0';
    int smallest = 0;
    for (;;) {
        char file[CPU_LIMITS_FILE_PATH_MAX];
        int quota = folder_quota(v1, dir, file, sizeof file);
        if (quota > 0 && (smallest == 0 || quota < smallest)) {
            smallest = quota;
            snprintf(limits->quota_file, sizeof limits->quota_file, "%s", file);
        }
        char *slash = strrchr(dir, '/');
        if (strlen(dir) <= top || !slash || slash == dir)
            break;
        *slash = '\0';
    }
    return smallest;
}

void cpu_limits_read(cpu_limits *limits)
{
    long online = sysconf(_SC_NPROCESSORS_ONLN);
    limits->online = online > 0 ? (online > INT_MAX ? INT_MAX : (int)online) : 1;
    limits->affinity = affinity_cpus();
    limits->quota_file[0] = '\0';
    limits->quota = 0;
    char v2_file[CPU_LIMITS_FILE_PATH_MAX];
    int v2 = hierarchy_quota(false, limits);
    snprintf(v2_file, sizeof v2_file, "%s", limits->quota_file);
    int v1 = hierarchy_quota(true, limits); /* hybrid systems may have both */
    if (v2 > 0 && (v1 == 0 || v2 <= v1)) {
        limits->quota = v2;
        snprintf(limits->quota_file, sizeof limits->quota_file, "%s", v2_file);
    } else {
        limits->quota = v1;
        if (v1 == 0)
            limits->quota_file[0] = '\0';
    }
    int cpus = limits->affinity > 0 ? limits->affinity : limits->online;
    if (limits->quota > 0 && limits->quota < cpus)
        cpus = limits->quota;
    limits->cpus = cpus > 0 ? cpus : 1;
}
