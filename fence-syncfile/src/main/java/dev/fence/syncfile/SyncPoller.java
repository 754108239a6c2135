package dev.fence.syncfile;

import dev.fence.core.Fence;
import dev.fence.core.Fences;
import java.util.BitSet;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * Waits on many {@link SyncFile}s at once, like {@code poll(2)} over an array of sync_file fds:
 * returns the set of files that are ready (their fence has signalled), waiting up to a timeout
 * for at least one. One thread waits for all of them: each pending file gets one callback node on
 * its fence, all sharing one waiter, and every node is removed again before the call returns.
 *
 * <pre>{@code
 * BitSet ready = SyncPoller.poll(100, TimeUnit.MILLISECONDS, upload, render, present);
 * for (int i = ready.nextSetBit(0); i >= 0; i = ready.nextSetBit(i + 1)) {
 *     handle(i);
 * }
 * }</pre>
 *
 * <p>Readiness is level-triggered: a file that has signalled is reported by every later poll.
 * An error-signalled fence is ready too (check {@link SyncFile#status()}).
 */
public final class SyncPoller {

    /*
     * Implementation overview.
     *
     * poll() first scans; if something is ready (or the timeout is 0) it returns at once. Else
     * it waits with Fences.awaitAny (one shared waiter, one callback node per fence, all removed
     * before it returns) and scans again, so the result reflects the state after the wait.
     */

    private SyncPoller() {
    }

    /**
     * Waits until at least one of {@code files} is ready or the timeout elapses.
     *
     * @param timeout how long to wait; 0 only checks
     * @param unit the unit of {@code timeout}
     * @param files the files to watch (may be empty: returns an empty set at once)
     * @return the indexes of the ready files; empty on timeout
     * @throws InterruptedException if interrupted while waiting and nothing was ready
     * @throws IllegalArgumentException if {@code timeout} is negative
     * @throws NullPointerException if {@code unit}, {@code files} or an element is null
     * @throws BadHandleException if a file is closed
     */
    public static BitSet poll(long timeout, TimeUnit unit, SyncFile... files)
            throws InterruptedException {
        Objects.requireNonNull(unit, "unit");
        Objects.requireNonNull(files, "files");
        if (timeout < 0) {
            throw new IllegalArgumentException("negative timeout: " + timeout);
        }
        Fence[] fences = new Fence[files.length];
        for (int i = 0; i < files.length; i++) {
            if (files[i] == null) {
                throw new NullPointerException("files[" + i + "]"); // message built only here
            }
            fences[i] = files[i].peek();
        }
        BitSet ready = scan(fences);
        if (!ready.isEmpty() || timeout == 0 || fences.length == 0) {
            return ready;
        }
        // One waiter for all of them: Fences.awaitAny queues one node per fence and removes
        // every node before it returns (throwing InterruptedException only if nothing is ready).
        Fences.awaitAny(timeout, unit, fences);
        return scan(fences);
    }

    /**
     * Waits until at least one of {@code files} is ready or the timeout elapses.
     *
     * @param timeout how long to wait; 0 only checks
     * @param unit the unit of {@code timeout}
     * @param files the files to watch
     * @return the indexes (into {@code files}) of the ready files; empty on timeout
     * @throws InterruptedException if interrupted while waiting and nothing was ready
     * @throws IllegalArgumentException if {@code timeout} is negative
     * @throws NullPointerException if an argument or element is null
     * @throws BadHandleException if a file is closed
     */
    public static BitSet poll(long timeout, TimeUnit unit, List<SyncFile> files)
            throws InterruptedException {
        Objects.requireNonNull(files, "files");
        return poll(timeout, unit, files.toArray(new SyncFile[0]));
    }

    private static BitSet scan(Fence[] fences) {
        BitSet ready = new BitSet(fences.length);
        for (int i = 0; i < fences.length; i++) {
            if (fences[i].isSignaled()) {
                ready.set(i);
            }
        }
        return ready;
    }
}
