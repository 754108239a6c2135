package dev.fence.reservation;

/**
 * Package-private state of {@code fence-reservation} that jcstress tests judge by. The stress
 * jar runs on the class path, so this class shares {@link WwMutex}'s runtime package; nothing
 * here changes state.
 */
public final class StressAccess {
    private StressAccess() {
    }

    /**
     * Whether the next release of {@code m} hands it to the head waiter (a racy snapshot).
     *
     * @param m the mutex
     * @return the mutex's hand-off flag
     */
    public static boolean handoffPending(WwMutex m) {
        return m.handoffPending();
    }
}
