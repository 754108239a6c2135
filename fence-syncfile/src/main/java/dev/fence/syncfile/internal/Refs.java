package dev.fence.syncfile.internal;

import dev.fence.core.Fence;
import dev.fence.core.Fences;

/**
 * Reference-count helpers. Taking a reference on a fence that may already be uncounted (a
 * container member at zero, which the garbage collector owns) is {@link Fence#tryRetain()}.
 */
public final class Refs {

    private Refs() {
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
