#ifndef C_FILE_SHIM_H
#define C_FILE_SHIM_H

/// Starts writing a range of a file to the disk without waiting (Linux sync_file_range with
/// SYNC_FILE_RANGE_WRITE), which Swift's Glibc module does not declare (a GNU extension).
/// 0, or -1 with errno set.
int tnx_start_writeback(int fd, long long offset, long long count);

#endif
