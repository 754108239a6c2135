package dev.fence.syncfile;

/**
 * A {@link SyncObj} has no fence for the requested point yet: it is empty (never signalled, or
 * reset), or the timeline point has not been added. The kernel answers {@code -EINVAL} in this
 * case unless the caller asked to wait for submission ({@link SyncObj#WAIT_FOR_SUBMIT}).
 */
public class PointNotSubmittedException extends IllegalStateException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message which object and point
     */
    public PointNotSubmittedException(String message) {
        super(message);
    }
}
