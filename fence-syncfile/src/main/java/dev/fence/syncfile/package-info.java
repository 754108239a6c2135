/**
 * Explicit synchronization handles: {@link dev.fence.syncfile.SyncFile} wraps one fence the way
 * a {@code sync_file} fd does, {@link dev.fence.syncfile.FdTable} hands out small-integer
 * handles for them, {@link dev.fence.syncfile.SyncPoller} and
 * {@link dev.fence.syncfile.SyncFile#channel()} wait on them, and
 * {@link dev.fence.syncfile.SyncObj} is a replaceable fence container with timeline points, the
 * kernel's {@code drm_syncobj}.
 */
package dev.fence.syncfile;
