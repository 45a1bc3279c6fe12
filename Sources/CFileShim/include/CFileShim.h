#ifndef C_FILE_SHIM_H
#define C_FILE_SHIM_H

/// Starts writing a range of a file to the disk without waiting (Linux sync_file_range with
/// SYNC_FILE_RANGE_WRITE), which Swift's Glibc module does not declare (a GNU extension).
/// 0, or -1 with errno set.
int tnx_start_writeback(int fd, long long offset, long long count);

/// Adds to posix_spawn file actions (a posix_spawn_file_actions_t *) the closing of every
/// descriptor from `from` up in the child (glibc 2.34's posix_spawn_file_actions_addclosefrom_np,
/// a GNU extension): a child must not inherit tnx's sockets, event loops or its parent's pipes,
/// which would keep them open after tnx ends. 0, or an error number (-1: not available).
int tnx_spawn_close_from(void *actions, int from);

/// Creates an anonymous file that lives in memory only (Linux memfd_create, close-on-exec),
/// which Swift's Glibc module does not declare (a GNU extension): it has no name on any disk
/// and is gone when its last descriptor closes, however the process ends. The descriptor, or
/// -1 with errno set (ENOSYS where the system has no such call).
int tnx_memory_file(const char *name);

/// Renames `from` to `to` unless `to` exists (Linux renameat2 with RENAME_NOREPLACE, which
/// Swift's Glibc module does not declare): never replaces a file in one step that another
/// process could race. 0, or -1 with errno set (EEXIST: `to` exists; EINVAL or ENOSYS: the
/// file system or kernel cannot do it).
int tnx_rename_noreplace(const char *from, const char *to);

#endif
