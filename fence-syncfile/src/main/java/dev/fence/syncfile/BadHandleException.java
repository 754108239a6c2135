package dev.fence.syncfile;

/**
 * A handle was used that does not name a live object: a closed {@link SyncFile}, an fd number
 * that is not installed in an {@link FdTable} (or names an object of the wrong kind), or a
 * syncobj handle that is not in a {@link SyncObjTable}. The {@code EBADF} / {@code ENOENT} of
 * this library.
 */
public class BadHandleException extends IllegalStateException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what was wrong, naming the handle
     */
    public BadHandleException(String message) {
        super(message);
    }
}
