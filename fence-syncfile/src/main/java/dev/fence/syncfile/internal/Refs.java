package dev.fence.syncfile.internal;

import dev.fence.core.Fence;
import dev.fence.core.Fences;

/** Reference-count helpers for holders that must tolerate fences nobody counts. */
public final class Refs {

    private Refs() {
    }

    /**
     * Takes a reference on {@code f} if it is still counted. Core containers do not count their
     * members, so a member can legitimately sit at zero while still in use; such a fence is
     * used uncounted (the garbage collector owns it).
     *
     * @param f the fence
     * @return {@code true} if a reference was taken (and must be released later)
     */
    public static boolean tryRetain(Fence f) {
        return f.tryRetain();
    }

    /**
     * Whether {@code merged}, the result of {@link Fences#merge}, is a fresh fence (whose birth
     * reference belongs to the caller) rather than one of the inputs' leaves or the shared stub.
     *
     * @param merged the merge result
     * @param inputs the fences that were merged
     * @return {@code true} if fresh
     */
    public static boolean isFresh(Fence merged, Fence... inputs) {
        if (merged == Fence.signaledStub()) {
            return false;
        }
        for (Fence in : inputs) {
            for (Fence leaf : Fences.unwrap(in)) {
                if (leaf == merged) {
                    return false;
                }
            }
        }
        return true;
    }
}
