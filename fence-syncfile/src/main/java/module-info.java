/**
 * Explicit-sync handles on top of {@code dev.fence.core}: {@link dev.fence.syncfile.SyncFile}
 * (the kernel's {@code sync_file}), {@link dev.fence.syncfile.FdTable} (small-integer handles),
 * {@link dev.fence.syncfile.SyncPoller} (poll over many files) and
 * {@link dev.fence.syncfile.SyncObj} (the kernel's {@code drm_syncobj}, binary and timeline).
 */
module dev.fence.syncfile {
    requires transitive dev.fence.core;
    requires org.slf4j;

    exports dev.fence.syncfile;
}
