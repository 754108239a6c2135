package dev.fence.core;

/**
 * Holds back the callbacks of fences that this thread signals, until the deferral closes. A
 * fence signalled inside it (by {@link Fence#signal()}, or by {@link Fence#isSignaled()} on a
 * driver's behalf when {@link Fence#pollSignaled()} reports the work done) is signalled at once:
 * every thread sees it signalled, and threads in its {@code await} methods or
 * {@link Fences#awaitAny} (spinning or parked) return. Its callbacks wait, and they run in this
 * thread, in signalling order, when the outermost deferral closes. This is how callbacks of
 * fences signalled from inside a callback are queued, offered to code that signals or polls
 * fences while it holds a lock that those callbacks might need. (Wait nodes of other modules,
 * such as a {@code SyncPoller}'s keys, are callbacks too, and wait for the close. So do the
 * member callbacks of a {@link FenceArray} or {@link FenceChain} watching such a fence: the
 * container signals, and wakes its own waiters, only when they run, or, for a chain link,
 * when {@link Fence#isSignaled()} polls it.) Until its
 * callbacks have run, such a fence holds one extra reference: a {@link Fence#release()} that
 * follows the signal inside the deferral is not the last one, and {@link Fence#deallocate()}
 * runs after the callbacks.
 *
 * <pre>{@code
 * try (CallbackDeferral d = CallbackDeferral.begin()) {
 *     lock.lock();
 *     try {
 *         head = link(head, fence);   // may poll, and so signal, earlier fences
 *     } finally {
 *         lock.unlock();
 *     }
 * }                                   // their callbacks run here, with the lock released
 * }</pre>
 *
 * <p>Deferrals nest, and a deferral opened inside a running callback closes into that callback's
 * queue (the callbacks run once the outermost callback returns). While one is open, the debug
 * checks ({@code dev.fence.debug=true}) treat a wait on a pending fence as a wait inside a
 * callback: the fence waited for may depend on a deferred callback. A deferral belongs to the
 * thread that opened it.
 */
public final class CallbackDeferral implements AutoCloseable {

    private final Thread owner;
    private final FenceThread state;
    /** The owner's {@link FenceThread#runsEnded} when this deferral opened. */
    private final int run;
    private boolean closed;

    private CallbackDeferral(Thread owner, FenceThread state) {
        this.owner = owner;
        this.state = state;
        this.run = state.runsEnded;
    }

    /**
     * Opens a deferral in the current thread.
     *
     * @return the deferral, to close in the same thread
     */
    public static CallbackDeferral begin() {
        FenceThread t = FenceThread.current();
        t.callbackDepth++;
        return new CallbackDeferral(Thread.currentThread(), t);
    }

    /**
     * Closes the deferral. If it is the outermost one (and this thread is not running a
     * callback), runs the callbacks held back meanwhile, and those of any fence they signal,
     * before returning. Closing twice is harmless. A deferral opened inside a callback ends when
     * that callback's run ends (the run drains what it held back); closing it after that does
     * nothing.
     *
     * @throws IllegalStateException if called from a thread other than the one that opened it
     */
    @Override
    public void close() {
        // The owner first: another thread is refused even after the owner closed (and it may
        // not read `closed`, a plain field of the owner's).
        if (Thread.currentThread() != owner) {
            throw new IllegalStateException("CallbackDeferral closed by "
                    + Thread.currentThread() + " but opened by " + owner);
        }
        if (closed) {
            return;
        }
        closed = true;
        FenceThread t = state;
        if (t.runsEnded != run) {
            return; // opened inside a callback run that has ended since and reset the depth
        }
        if (--t.callbackDepth == 0) {
            Fence.runDeferred(t);
        }
    }
}
