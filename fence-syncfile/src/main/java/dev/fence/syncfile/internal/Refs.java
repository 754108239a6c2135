package dev.fence.syncfile.internal;

import dev.fence.core.Fence;
import dev.fence.core.FenceArray;
import dev.fence.core.FenceChain;
import dev.fence.core.Fences;
import java.util.ArrayList;
import java.util.List;

/**
 * Reference-count helpers. Taking a reference on a fence that may already be uncounted (a
 * container member at zero, which the garbage collector owns) is {@link Fence#tryRetain()}.
 */
public final class Refs {

    private Refs() {
    }

    /**
     * A merge result and whether it is a fresh fence, whose birth reference is the caller's.
     *
     * @param fence the merged fence
     * @param fresh {@code true} if the merge created it; otherwise it is the shared stub or a
     *     fence reachable from the inputs, on which the caller takes its own reference
     */
    public record Merged(Fence fence, boolean fresh) {
    }

    /**
     * {@link Fences#merge} of {@code inputs}, and whether the result is fresh, decided from a
     * snapshot of what was reachable from the inputs before the merge (see {@link #reachable}).
     *
     * @param inputs the fences to merge
     * @return the result
     */
    public static Merged merge(Fence... inputs) {
        List<Fence> before = reachable(inputs);
        Fence merged = Fences.merge(inputs);
        return new Merged(merged, isFresh(merged, before));
    }

    /**
     * Every fence reachable from {@code inputs}: the inputs, chain links and what they hold,
     * array members (and the members of a member array). Take it before {@link Fences#merge}:
     * a chain only loses links over time (signalled ones are collected), never gains older
     * ones, and arrays never change, so whatever the merge returns that is not in this snapshot
     * (or the shared stub) is a fence it created. A second walk after the merge could miss a
     * kept leaf whose link was collected in between, and that leaf would then be held without
     * a reference.
     *
     * @param inputs the fences about to be merged
     * @return the snapshot, for {@link #isFresh}
     */
    private static List<Fence> reachable(Fence... inputs) {
        List<Fence> out = new ArrayList<>();
        for (Fence in : inputs) {
            for (Fence node = in; node != null; ) {
                Fence held = node;
                if (node instanceof FenceChain) {
                    out.add(node);
                    held = ((FenceChain) node).fence();
                    node = ((FenceChain) node).prev();
                } else {
                    node = null;
                }
                addWithMembers(held, out);
            }
        }
        return out;
    }

    private static void addWithMembers(Fence f, List<Fence> out) {
        out.add(f);
        if (f instanceof FenceArray) {
            for (Fence m : ((FenceArray) f).fences()) {
                addWithMembers(m, out); // at most two deep: only all-arrays hold arrays
            }
        }
    }

    /**
     * Whether {@code merged}, the result of {@link Fences#merge}, is a fresh fence (whose birth
     * reference belongs to the caller) rather than one of the inputs' fences or the shared stub.
     *
     * @param merged the merge result
     * @param before what was reachable from the inputs before the merge, from {@link #reachable}
     * @return {@code true} if fresh
     */
    private static boolean isFresh(Fence merged, List<Fence> before) {
        if (merged == Fence.signaledStub()) {
            return false;
        }
        for (Fence f : before) {
            if (f == merged) {
                return false;
            }
        }
        return true;
    }
}
