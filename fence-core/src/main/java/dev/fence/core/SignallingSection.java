package dev.fence.core;

/**
 * Marks code that a fence's signal depends on, the kernel's
 * {@code dma_fence_begin_signalling()} / {@code dma_fence_end_signalling()}.
 *
 * <pre>{@code
 * try (SignallingSection s = SignallingSection.begin()) {
 *     completeJob(job);          // must not wait on other fences
 *     job.fence().signal();
 * }
 * }</pre>
 *
 * <p>With the system property {@code dev.fence.debug=true}, waiting on a pending fence inside a
 * section (or inside a fence callback) throws {@link IllegalStateException} instead of risking a
 * deadlock. Otherwise {@link #begin()} returns a shared no-op and costs nothing. Sections nest and
 * belong to the thread that opened them.
 */
public final class SignallingSection implements AutoCloseable {

    private static final SignallingSection NOOP = new SignallingSection(null);

    private final Thread owner;
    private boolean closed;

    private SignallingSection(Thread owner) {
        this.owner = owner;
    }

    /**
     * Opens a section in the current thread.
     *
     * @return the section, to close in the same thread
     */
    public static SignallingSection begin() {
        if (!FenceThread.DEBUG) {
            return NOOP;
        }
        FenceThread.current().sectionDepth++;
        return new SignallingSection(Thread.currentThread());
    }

    /**
     * Whether the current thread is inside a section (always {@code false} unless debug checks
     * are on).
     *
     * @return {@code true} inside a section
     */
    public static boolean active() {
        return FenceThread.DEBUG && FenceThread.current().sectionDepth > 0;
    }

    /**
     * For waits built outside {@link Fence} (such as a syncobj's wait for a point's submission,
     * or a {@code WwMutex} lock that another thread may hold while it waits for a fence): with
     * debug checks on, throws if the current thread is inside a section, a fence callback or a
     * {@link CallbackDeferral}, where blocking could deadlock the signalling path, exactly as a
     * fence's own waits do. Call it just before blocking (or, for a lock, before every attempt
     * that may block, as the kernel's lockdep flags a {@code dma_resv} lock in a signalling
     * section whether or not it is contended). Does nothing when debug checks are off.
     *
     * @param what what the caller is about to wait for, for the message; its
     *     {@code toString()} is called only when the check throws
     * @throws IllegalStateException with debug checks on, if this thread may not block here
     */
    public static void checkMayWait(Object what) {
        if (FenceThread.DEBUG) {
            FenceThread.checkMayWait(what);
        }
    }

    /**
     * Closes the section. Closing twice is harmless.
     *
     * @throws IllegalStateException if called from a thread other than the one that opened it
     */
    @Override
    public void close() {
        if (owner == null) {
            return; // the shared no-op of non-debug mode
        }
        if (Thread.currentThread() != owner) { // even after the owner closed (see CallbackDeferral)
            throw new IllegalStateException("SignallingSection closed by " + Thread.currentThread()
                    + " but opened by " + owner);
        }
        if (closed) {
            return;
        }
        closed = true;
        FenceThread.current().sectionDepth--;
    }
}
