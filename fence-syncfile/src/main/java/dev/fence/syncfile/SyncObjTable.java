package dev.fence.syncfile;

import dev.fence.syncfile.internal.HandleTable;
import java.util.Objects;

/**
 * Integer handles for {@link SyncObj}s, the per-client handle table of the kernel's
 * {@code drm_syncobj} ioctls. Handles start at 1 (0 is never valid) and the lowest free one is
 * reused first. A handle is only a name: several handles (and fds) may name the same object, and
 * {@link #destroy(int)} only frees the name.
 *
 * <pre>{@code
 * SyncObjTable objs = new SyncObjTable();
 * FdTable fds = FdTable.global();
 * int h = objs.create(false);
 * int fd = objs.handleToFd(h, fds);          // share the object itself
 * int h2 = other.fdToHandle(fd, fds);        // a new handle for the same object
 * int sf = objs.exportSyncFile(h, 0, fds);   // or share a snapshot of its fence
 * }</pre>
 */
public final class SyncObjTable {

    private final HandleTable<SyncObj> table = new HandleTable<>(1);

    /** Creates an empty table. */
    public SyncObjTable() {
    }

    /**
     * Creates an object and returns a handle to it ({@code DRM_IOCTL_SYNCOBJ_CREATE}).
     *
     * @param signaled {@code true} to start with a signalled fence
     * @return the new handle
     * @throws IllegalStateException if the table is full (about 2^30 in use)
     */
    public int create(boolean signaled) {
        return table.install(SyncObj.create(signaled));
    }

    /**
     * Adds a handle for an existing object.
     *
     * @param obj the object
     * @return the new handle
     * @throws NullPointerException if {@code obj} is null
     * @throws IllegalStateException if the table is full (about 2^30 in use)
     */
    public int install(SyncObj obj) {
        return table.install(Objects.requireNonNull(obj, "obj"));
    }

    /**
     * The object behind {@code handle}.
     *
     * @param handle the handle
     * @return the object
     * @throws BadHandleException if the handle is not in use
     */
    public SyncObj get(int handle) {
        SyncObj o = table.get(handle);
        if (o == null) {
            throw new BadHandleException("no syncobj with handle " + handle);
        }
        return o;
    }

    /**
     * Frees {@code handle} ({@code DRM_IOCTL_SYNCOBJ_DESTROY}); the object lives on through its
     * other handles and fds.
     *
     * @param handle the handle
     * @throws BadHandleException if the handle is not in use
     */
    public void destroy(int handle) {
        if (table.remove(handle) == null) {
            throw new BadHandleException("no syncobj with handle " + handle);
        }
    }

    /**
     * Installs the object behind {@code handle} in {@code fds} ({@code HANDLE_TO_FD}).
     *
     * @param handle the handle
     * @param fds the fd table
     * @return the new fd
     * @throws BadHandleException if the handle is not in use
     * @throws NullPointerException if {@code fds} is null
     * @throws IllegalStateException if {@code fds} is full (about 2^30 numbers in use)
     */
    public int handleToFd(int handle, FdTable fds) {
        Objects.requireNonNull(fds, "fds");
        return fds.install(get(handle));
    }

    /**
     * A new handle for the syncobj installed under {@code fd} ({@code FD_TO_HANDLE}); every call
     * returns a different handle.
     *
     * @param fd the fd
     * @param fds the fd table
     * @return the new handle
     * @throws BadHandleException if {@code fd} is not open or holds a sync file
     * @throws NullPointerException if {@code fds} is null
     * @throws IllegalStateException if the table is full (about 2^30 in use)
     */
    public int fdToHandle(int fd, FdTable fds) {
        Objects.requireNonNull(fds, "fds");
        return install(fds.getSyncObj(fd));
    }

    /**
     * Exports the fence for {@code point} as a sync file installed in {@code fds}
     * ({@code HANDLE_TO_FD} with {@code EXPORT_SYNC_FILE}); see {@link SyncObj#exportSyncFile}.
     *
     * @param handle the handle
     * @param point the point (0: the current fence)
     * @param fds the fd table
     * @return the sync file's fd
     * @throws BadHandleException if the handle is not in use
     * @throws PointNotSubmittedException if there is no fence for the point
     * @throws IllegalArgumentException if {@code point} is negative
     * @throws NullPointerException if {@code fds} is null
     * @throws IllegalStateException if {@code fds} is full (about 2^30 numbers in use)
     */
    public int exportSyncFile(int handle, long point, FdTable fds) {
        Objects.requireNonNull(fds, "fds");
        SyncFile f = get(handle).exportSyncFile(point);
        try {
            return fds.install(f);
        } catch (RuntimeException | Error e) {
            f.close();
            throw e;
        }
    }

    /**
     * Imports the sync file under {@code fd} into the object behind {@code handle}
     * ({@code FD_TO_HANDLE} with {@code IMPORT_SYNC_FILE}); see {@link SyncObj#importSyncFile}.
     * The fd stays open.
     *
     * @param handle the handle
     * @param fd the sync file's fd
     * @param point 0 to replace the fence, else a new timeline point
     * @param fds the fd table
     * @throws BadHandleException if the handle or fd is not in use, or the fd holds a syncobj
     * @throws IllegalArgumentException if {@code point} is negative, or positive and not above
     *     the object's newest point
     * @throws NullPointerException if {@code fds} is null
     */
    public void importSyncFile(int handle, int fd, long point, FdTable fds) {
        Objects.requireNonNull(fds, "fds");
        SyncObj obj = get(handle);
        obj.importSyncFile(fds.get(fd), point);
    }

    /**
     * How many handles are in use.
     *
     * @return the count
     */
    public int size() {
        return table.size();
    }
}
