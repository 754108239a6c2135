package dev.fence.core;

/**
 * Reads {@code Fence.WAKING}, the package-private count of woken waiters that have not all
 * resumed (it keeps new waiters from spinning while it is above zero), for the soak's end-of-run
 * check. Lives in {@code dev.fence.core} inside fence-stress for the access, as
 * {@link WakeBatchTests} does.
 */
public final class WakingCount {

    private WakingCount() {
    }

    /**
     * The current count.
     *
     * @return woken waiters of shared wake-ups not yet all resumed; 0 once every woken waiter
     *     has run
     */
    public static int get() {
        return Fence.WAKING.get();
    }
}
