package dev.fence.core;

/**
 * The error a fence carries when its last reference was released while it was still pending
 * with callbacks or waiters queued (the kernel signals such a fence with {@code -EDEADLK}).
 * Seeing it means some holder dropped a reference it still needed.
 */
public final class FenceReleasedException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param description the {@link Fence#describe()} of the released fence
     */
    public FenceReleasedException(String description) {
        super("fence released with pending callbacks: " + description);
    }
}
