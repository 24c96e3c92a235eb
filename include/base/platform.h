/* platform.h - the few things C11 cannot do, in one place with fallbacks: make a
 * directory, flush a file to disk, tell whether a stream is a terminal and how wide
 * it is, read peak memory use, and list a directory's entries. Exported prefix:
 * platform_. */
#ifndef CIFAR_PLATFORM_H
#define CIFAR_PLATFORM_H

#include <stdio.h>
#include <stdbool.h>
#include "base/status.h"

/* Create path and its missing parents (like mkdir -p); OK if it exists as a dir. */
Status platform_mkdirs(const char *path, Error *err);
/* True if path exists and is a directory / a regular file. */
bool platform_is_dir(const char *path);
bool platform_is_file(const char *path);
/* What path is: "file" (a regular one), "directory", "FIFO", "device", "socket" or
 * "special file"; NULL if it does not exist (or cannot be looked at). */
const char *platform_kind(const char *path);
/* Open the regular file path for reading without blocking in open() (O_NONBLOCK,
 * cleared once open): NULL with errno set if it cannot be opened, or NULL with *kind
 * naming what it is if it is not a regular file (platform_kind's words); *kind is
 * NULL otherwise. Where there is no POSIX, plain fopen. */
FILE *platform_open_read(const char *path, const char **kind);
/* True if a and b name the same existing file (POSIX: the same device and inode,
 * so links and "dir/../x" spellings match); without POSIX, if the strings are
 * equal. */
bool platform_same_file(const char *a, const char *b);
/* Call fn with the name of each entry of the directory path (not "." or ".."), in
 * the directory's own order; stops at the first status fn returns that is not
 * STATUS_OK and returns it. STATUS_IO naming path if it cannot be listed (always,
 * without POSIX). */
Status platform_list_dir(const char *path,
                         Status (*fn)(void *ctx, const char *name, Error *err),
                         void *ctx, Error *err);
/* fsync the stream's file where the platform has it; false on failure. */
bool platform_sync(FILE *f);
/* True if f is a terminal (false where unknown). */
bool platform_isatty(FILE *f);
/* Columns of the terminal f (POSIX ioctl TIOCGWINSZ), 0 where unknown. */
int platform_columns(FILE *f);
/* Note terminal resizes from now on (POSIX SIGWINCH, SA_RESTART so no call fails
 * with EINTR); false where the platform cannot tell. */
bool platform_watch_resize(void);
/* True if the terminal was resized since the last call (never without a watch). */
bool platform_resized(void);
/* Peak resident set size in bytes, 0 where unknown. */
size_t platform_peak_rss(void);
/* Ignore SIGPIPE, so that a closed pipe on stdout fails a write with EPIPE rather
 * than ending the process (no-op where there is none). */
void platform_ignore_sigpipe(void);
/* This process's id, 0 where unknown. */
long platform_pid(void);
/* True if a process pid exists (POSIX kill(pid, 0)); true where unknown, so that a
 * lock is never taken from a live holder. */
bool platform_process_alive(long pid);
/* Online processors, at least 1 (1 where unknown). */
int platform_cpu_count(void);
/* Wall-clock seconds from an arbitrary origin (C11 timespec_get). */
double platform_seconds(void);
/* Call handler on the next sig only: the default action is back before the handler
 * runs, so a second sig acts as if never caught. With POSIX sigaction, calls the
 * signal interrupts are restarted, not failed with EINTR, and any thread may take
 * it; elsewhere C11 signal(), whose handler must then reset the action itself
 * (returns false). */
bool platform_catch_once(int sig, void (*handler)(int));

#endif
