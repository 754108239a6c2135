package dev.fence.core;

import dev.fence.core.internal.Diagnostics;
import java.util.ArrayDeque;

/**
 * Per-thread state: the callback trampoline and the debug-only nesting counters.
 *
 * <p>Only the owning thread touches an instance, so every field is plain.
 */
final class FenceThread {

    /**
     * Debug checks (waits inside callbacks, deferrals or signalling sections); read once, folded
     * by the JIT.
     */
    static final boolean DEBUG = Boolean.getBoolean("dev.fence.debug");

    private static final ThreadLocal<FenceThread> CURRENT =
            ThreadLocal.withInitial(FenceThread::new);

    /** Greater than zero while this thread runs fence callbacks or holds a CallbackDeferral. */
    int callbackDepth;

    /**
     * How many callback runs (depth 1 back to 0) this thread has finished. A CallbackDeferral
     * opened inside a run ends with it (the run resets the depth and drains the queue); one
     * closed after that compares this count and leaves the depth alone.
     */
    int runsEnded;

    /**
     * This thread's spin budget before parking, in nanoseconds: doubled (up to
     * {@link Fence#SPIN_NANOS}) when a spin sees the signal, halved (down to
     * {@link Fence#SPIN_FLOOR}) when the spin runs out and the thread parks, like HotSpot's
     * adaptive spinning for monitors; after {@link Fence#PROBE_AFTER} parks at the floor one wait
     * spins the whole ceiling. A timed wait shorter than the budget, which spins for its timeout
     * and returns, changes nothing.
     */
    long spinNanos = Fence.SPIN_NANOS;

    /**
     * Waits that ran a spin at {@link Fence#SPIN_FLOOR} out and parked since this thread's last
     * probe (see {@link Fence#PROBE_AFTER}).
     */
    int floorParks;

    /** Open {@link SignallingSection}s (maintained only in debug mode). */
    int sectionDepth;

    /**
     * Fences signalled from inside a callback (or a CallbackDeferral), whose own callbacks wait
     * here until the running callback returns (or the outermost deferral closes): a cascade of
     * any depth runs in constant stack.
     */
    final ArrayDeque<Object> deferred = new ArrayDeque<>(); // Fence, or a Runnable after one

    static FenceThread current() {
        return CURRENT.get();
    }

    /** Debug mode only: throws if waiting here could deadlock the signalling path. */
    static void checkMayWait(Fence fence) {
        FenceThread t = CURRENT.get();
        if (t.callbackDepth > 0 || t.sectionDepth > 0) { // the description only when throwing
            refuseWait(t, "unsignalled fence " + Diagnostics.describe(fence));
        }
    }

    /**
     * As {@link #checkMayWait(Fence)}, for a wait on {@code what} (its {@code toString()} is
     * taken only when throwing).
     */
    static void checkMayWait(Object what) {
        refuseWait(CURRENT.get(), what);
    }

    private static void refuseWait(FenceThread t, Object what) {
        if (t.callbackDepth > 0) {
            throw new IllegalStateException("waiting on " + what
                    + " inside a fence callback or CallbackDeferral: callbacks run in the"
                    + " signalling thread and must not block");
        }
        if (t.sectionDepth > 0) {
            throw new IllegalStateException("waiting on " + what
                    + " inside a SignallingSection: the code that must signal would wait for"
                    + " itself");
        }
    }
}
