package dev.fence.syncfile;

import dev.fence.syncfile.internal.HandleTable;
import java.util.Objects;

/**
 * Small-integer handles for {@link SyncFile}s (and exported {@link SyncObj}s), like a process fd
 * table: {@link #install} returns the lowest free number, {@link #get} looks it up, and
 * {@link #close(int)} frees it. Useful to hand a fence across module boundaries or to native code
 * as a plain {@code int}.
 *
 * <pre>{@code
 * FdTable fds = FdTable.global();
 * int fd = fds.install(SyncFile.create("upload", uploadDone));
 * // ... pass fd to the consumer ...
 * SyncFile in = fds.get(fd);          // BadHandleException if fd is not open
 * in.poll(1, TimeUnit.SECONDS);
 * fds.close(fd);                       // closes the file
 * }</pre>
 *
 * <p>Installing a file hands it to the table: {@link #close(int)} closes it. A file is installed
 * under one number at a time (in any table); for a second number install a {@link SyncFile#dup()},
 * which closes independently, as a second fd from {@code dup(2)} does. Numbers start at 0
 * and the lowest free one is always reused first. Lookups take no lock; install and close take a
 * small lock that never runs user code. Using a number that is not open (never installed, already
 * closed, negative) throws {@link BadHandleException}.
 */
public final class FdTable {

    private static final FdTable GLOBAL = new FdTable();

    private final HandleTable<Object> table = new HandleTable<>(0);

    /** Creates an empty table; most programs share {@link #global()} instead. */
    public FdTable() {
    }

    /**
     * The process-wide table.
     *
     * @return the shared table
     */
    public static FdTable global() {
        return GLOBAL;
    }

    /**
     * Installs {@code file} under the lowest free number, handing it to the table.
     *
     * @param file an open file, not installed under another number
     * @return its number
     * @throws NullPointerException if {@code file} is null
     * @throws BadHandleException if {@code file} is closed
     * @throws IllegalArgumentException if {@code file} is already installed (here or in another
     *     table): closing either number would close it under the other; install
     *     {@link SyncFile#dup()} instead
     * @throws IllegalStateException if the table is full (about 2^30 numbers in use, the
     *     kernel's {@code -EMFILE})
     */
    public int install(SyncFile file) {
        Objects.requireNonNull(file, "file");
        file.peek();
        if (!file.claimInstall()) {
            throw new IllegalArgumentException("sync file already installed under another number"
                    + " (install a dup() for a second one): " + file);
        }
        try {
            return table.install(file);
        } catch (RuntimeException | Error e) {
            file.releaseInstall();
            throw e;
        }
    }

    /**
     * Installs a syncobj under the lowest free number (what {@link SyncObjTable#handleToFd}
     * does). Closing the number does not change the syncobj.
     *
     * @param obj the syncobj
     * @return its number
     * @throws NullPointerException if {@code obj} is null
     * @throws IllegalStateException if the table is full (about 2^30 numbers in use, the
     *     kernel's {@code -EMFILE})
     */
    public int install(SyncObj obj) {
        Objects.requireNonNull(obj, "obj");
        return table.install(obj);
    }

    /**
     * The sync file open under {@code fd}.
     *
     * @param fd the number
     * @return the file
     * @throws BadHandleException if {@code fd} is not open, holds a syncobj rather than a sync
     *     file, or its file has been closed directly
     */
    public SyncFile get(int fd) {
        Object o = table.get(fd);
        if (o instanceof SyncFile) {
            SyncFile f = (SyncFile) o;
            if (f.isClosed()) {
                throw new BadHandleException("fd " + fd + ": its sync file was closed");
            }
            return f;
        }
        throw notOpen(fd, o, "sync file");
    }

    /**
     * The syncobj open under {@code fd}.
     *
     * @param fd the number
     * @return the syncobj
     * @throws BadHandleException if {@code fd} is not open or holds a sync file
     */
    public SyncObj getSyncObj(int fd) {
        Object o = table.get(fd);
        if (o instanceof SyncObj) {
            return (SyncObj) o;
        }
        throw notOpen(fd, o, "syncobj");
    }

    private static BadHandleException notOpen(int fd, Object o, String wanted) {
        if (o == null) {
            return new BadHandleException("fd " + fd + " is not open");
        }
        return new BadHandleException("fd " + fd + " is not a " + wanted + " (it holds "
                + (o instanceof SyncFile ? "a sync file" : "a syncobj") + ")");
    }

    /**
     * Whether {@code fd} is open.
     *
     * @param fd the number
     * @return {@code true} if something is installed under it
     */
    public boolean isOpen(int fd) {
        return table.get(fd) != null;
    }

    /**
     * Frees {@code fd}; a sync file installed there is closed.
     *
     * @param fd the number
     * @throws BadHandleException if {@code fd} is not open
     */
    public void close(int fd) {
        Object o = table.remove(fd);
        if (o == null) {
            throw new BadHandleException("fd " + fd + " is not open");
        }
        if (o instanceof SyncFile) {
            ((SyncFile) o).close();
        }
    }

    /**
     * Frees {@code fd} without closing its file, handing the file back to the caller.
     *
     * @param fd the number
     * @return the file that was installed there
     * @throws BadHandleException if {@code fd} is not open or holds a syncobj
     */
    public SyncFile detach(int fd) {
        SyncFile f = get(fd);
        if (table.remove(fd, f) == null) {
            throw new BadHandleException("fd " + fd + " was closed concurrently");
        }
        f.releaseInstall();
        return f;
    }

    /**
     * How many numbers are open.
     *
     * @return the count
     */
    public int size() {
        return table.size();
    }

    /** Closes every open number (and the sync files installed there). */
    public void closeAll() {
        table.clear(o -> {
            if (o instanceof SyncFile) {
                ((SyncFile) o).close();
            }
        });
    }
}
