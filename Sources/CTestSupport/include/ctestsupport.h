// ctestsupport: the two POSIX calls the test support needs that Swift's Glibc module does not
// export (they sit behind _GNU_SOURCE): pipes created close-on-exec atomically, and a spawn
// action that closes every descriptor from `lowfd` up in the child.
#ifndef TOKENLOOM_CTESTSUPPORT_H
#define TOKENLOOM_CTESTSUPPORT_H

#include <spawn.h>

/// pipe2(fds, O_CLOEXEC) where it exists (Linux), else pipe() then FD_CLOEXEC on both ends.
/// Returns 0, or -1 with errno set.
int tl_pipe_cloexec(int fds[2]);

/// Adds "close every fd >= lowfd" to `actions` (glibc 2.34+: posix_spawn_file_actions_addclosefrom_np).
/// Returns 0, or ENOSYS where the C library has no such action (then rely on close-on-exec, and on
/// POSIX_SPAWN_CLOEXEC_DEFAULT on Darwin).
int tl_spawn_actions_closefrom(posix_spawn_file_actions_t *actions, int lowfd);

#endif
