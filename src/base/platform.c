/* platform.c - the POSIX calls C11 lacks (mkdir, stat, open, fsync, isatty,
 * getrusage, sigaction, getpid, kill, the terminal's size and SIGWINCH, opendir), each
 * with a fallback where the platform has none. */
#if defined(__unix__) || defined(__APPLE__)
#define _POSIX_C_SOURCE 200809L
#define HAVE_POSIX 1
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#endif
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "base/platform.h"

bool platform_is_dir(const char *path)
{
#ifdef HAVE_POSIX
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
#else
    (void)path;
    return true;
#endif
}

bool platform_is_file(const char *path)
{
#ifdef HAVE_POSIX
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
#else
    FILE *f = fopen(path, "rb");
    if (f)
        fclose(f);
    return f != NULL;
#endif
}

const char *platform_kind(const char *path)
{
#ifdef HAVE_POSIX
    struct stat st;
    if (stat(path, &st) != 0)
        return NULL;
    if (S_ISREG(st.st_mode))
        return "file";
    if (S_ISDIR(st.st_mode))
        return "directory";
    if (S_ISFIFO(st.st_mode))
        return "FIFO";
    if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode))
        return "device";
    if (S_ISSOCK(st.st_mode))
        return "socket";
    return "special file";
#else
    FILE *f = fopen(path, "rb");
    if (f)
        fclose(f);
    return f ? "file" : NULL;
#endif
}

#ifdef HAVE_POSIX
/* Open with O_NONBLOCK, so that a FIFO or a device cannot block in open(); the file
 * is checked to be a regular one on the descriptor (what stat saw may have been
 * replaced since), then made blocking again for stdio. */
static FILE *open_regular(const char *path, const char **kind)
{
    int fd = open(path, O_RDONLY | O_NONBLOCK);
    if (fd < 0)
        return NULL;
    struct stat st;
    int flags = fcntl(fd, F_GETFL);
    FILE *f = NULL;
    if (fstat(fd, &st) != 0 || flags < 0 || !S_ISREG(st.st_mode))
        *kind = S_ISDIR(st.st_mode) ? "directory" : "special file";
    else if (fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) == 0)
        f = fdopen(fd, "rb");
    if (!f) {
        int saved = errno;
        close(fd);
        errno = saved;
    }
    return f;
}
#endif

FILE *platform_open_read(const char *path, const char **kind)
{
    *kind = NULL;
#ifdef HAVE_POSIX
    const char *k = platform_kind(path);
    if (k && strcmp(k, "file") != 0) {
        *kind = k;
        return NULL;
    }
    return open_regular(path, kind);
#else
    return fopen(path, "rb");
#endif
}

bool platform_same_file(const char *a, const char *b)
{
#ifdef HAVE_POSIX
    struct stat sa, sb;
    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
           sa.st_ino == sb.st_ino;
#else
    return strcmp(a, b) == 0;
#endif
}

Status platform_list_dir(const char *path,
                         Status (*fn)(void *ctx, const char *name, Error *err),
                         void *ctx, Error *err)
{
#ifdef HAVE_POSIX
    errno = 0;
    DIR *d = opendir(path);
    if (!d)
        return error_set(err, STATUS_IO, "cannot list %s: %s", path, strerror(errno));
    Status st = STATUS_OK;
    for (struct dirent *e; st == STATUS_OK && (e = readdir(d)) != NULL;)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            st = fn(ctx, e->d_name, err);
    closedir(d);
    return st;
#else
    (void)fn, (void)ctx;
    return error_set(err, STATUS_IO, "cannot list %s: no directory listing on this "
                     "platform", path);
#endif
}

Status platform_mkdirs(const char *path, Error *err)
{
    char buf[4096];
    size_t len = strlen(path);
    if (len == 0 || len >= sizeof buf)
        return error_set(err, STATUS_USAGE, "bad directory name '%s'", path);
    memcpy(buf, path, len + 1);
#ifdef HAVE_POSIX
    for (size_t i = 1; i <= len; i++) {
        if (buf[i] != '/' && buf[i] != '\0')
            continue;
        char saved = buf[i];
        buf[i] = '\0';
        if (mkdir(buf, 0777) != 0 && errno != EEXIST)
            return error_set(err, STATUS_IO, "cannot create directory %s: %s", buf,
                             strerror(errno));
        buf[i] = saved;
    }
#endif
    if (!platform_is_dir(path))
        return error_set(err, STATUS_IO, "%s exists and is not a directory", path);
    return STATUS_OK;
}

bool platform_sync(FILE *f)
{
#ifdef HAVE_POSIX
    return fsync(fileno(f)) == 0 || errno == EINVAL;
#else
    (void)f;
    return true;
#endif
}

bool platform_isatty(FILE *f)
{
#ifdef HAVE_POSIX
    return isatty(fileno(f)) == 1;
#else
    (void)f;
    return false;
#endif
}

size_t platform_peak_rss(void)
{
#ifdef HAVE_POSIX
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0)
        return 0;
#if defined(__APPLE__)
    return (size_t)ru.ru_maxrss;
#else
    return (size_t)ru.ru_maxrss * 1024u;
#endif
#else
    return 0;
#endif
}

double platform_seconds(void)
{
    struct timespec ts;
    if (timespec_get(&ts, TIME_UTC) != TIME_UTC)
        return 0.0;
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

bool platform_catch_once(int sig, void (*handler)(int))
{
#ifdef HAVE_POSIX
    /* C11's signal() is undefined in a program with threads, and glibc's, in strict
     * C mode, neither restarts the calls it interrupts nor resets atomically. */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = handler;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESETHAND | SA_RESTART;
    return sigaction(sig, &sa, NULL) == 0;
#else
    signal(sig, handler);
    return false;
#endif
}

void platform_ignore_sigpipe(void)
{
#if defined(HAVE_POSIX) && defined(SIGPIPE)
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_IGN;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGPIPE, &sa, NULL);
#endif
}

long platform_pid(void)
{
#ifdef HAVE_POSIX
    return (long)getpid();
#else
    return 0;
#endif
}

bool platform_process_alive(long pid)
{
#ifdef HAVE_POSIX
    /* Signal 0 checks only: EPERM means it exists under another user. */
    if (pid <= 0 || (long)(pid_t)pid != pid)
        return false;
    return kill((pid_t)pid, 0) == 0 || errno == EPERM;
#else
    (void)pid;
    return true;
#endif
}

int platform_cpu_count(void)
{
#ifdef HAVE_POSIX
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n >= 1 && n <= 1024 ? (int)n : 1;
#else
    return 1;
#endif
}

int platform_columns(FILE *f)
{
#if defined(HAVE_POSIX) && defined(TIOCGWINSZ)
    struct winsize ws;
    if (ioctl(fileno(f), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
        return ws.ws_col;
#else
    (void)f;
#endif
    return 0;
}

/* Set by the SIGWINCH handler, cleared by platform_resized. Lock-free for the same
 * reason as interrupt.c's flag: a handler may store only to such an atomic, and any
 * thread of the pool may take the signal. */
_Static_assert(ATOMIC_INT_LOCK_FREE == 2, "the resize flag must be lock-free");
static atomic_int resized;

#if defined(HAVE_POSIX) && defined(SIGWINCH)
static void on_resize(int sig)
{
    (void)sig;
    atomic_store(&resized, 1);
}
#endif

bool platform_watch_resize(void)
{
#if defined(HAVE_POSIX) && defined(SIGWINCH)
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_resize;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;   /* a resize must not fail a write with EINTR */
    return sigaction(SIGWINCH, &sa, NULL) == 0;
#else
    return false;
#endif
}

bool platform_resized(void)
{
    return atomic_exchange(&resized, 0) != 0;
}
