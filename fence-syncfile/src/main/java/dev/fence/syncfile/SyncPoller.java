package dev.fence.syncfile;

import dev.fence.core.Fence;
import dev.fence.core.FenceCallback;
import java.util.BitSet;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

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
     * poll() first scans; if something is ready (or the timeout is 0) it returns at once. Else it
     * queues one Node per file on that file's fence; the nodes share one Waiter whose `fired`
     * flag (volatile, written by signalling threads, read by the polling thread) is set before
     * the node unparks the poller. A node whose addCallback fails (the fence signalled in between)
     * ends registration early: something is ready. The poller parks until `fired` or the
     * deadline, then removes every node it queued (removeCallback is a no-op for nodes that ran)
     * and scans again to build the result, so the result reflects the state after the wait.
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
        if (Thread.interrupted()) {
            throw new InterruptedException();
        }
        long nanos = unit.toNanos(timeout);
        long start = System.nanoTime();
        Waiter waiter = new Waiter(Thread.currentThread());
        Node[] nodes = new Node[fences.length];
        boolean interrupted = false;
        try {
            boolean allQueued = true;
            for (int i = 0; i < fences.length; i++) {
                Node n = new Node(waiter);
                if (!fences[i].addCallback(n)) {
                    allQueued = false;
                    break;
                }
                nodes[i] = n;
            }
            if (allQueued) {
                while (!waiter.fired) {
                    long left = nanos - (System.nanoTime() - start);
                    if (left <= 0L) {
                        break;
                    }
                    LockSupport.parkNanos(waiter, left);
                    if (Thread.interrupted()) {
                        interrupted = true;
                        break;
                    }
                }
            }
        } finally {
            for (int i = 0; i < fences.length; i++) {
                if (nodes[i] != null) {
                    fences[i].removeCallback(nodes[i]);
                }
            }
        }
        ready = scan(fences);
        if (interrupted) {
            if (ready.isEmpty()) {
                throw new InterruptedException();
            }
            Thread.currentThread().interrupt();
        }
        return ready;
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

    private static final class Waiter {
        final Thread thread;
        volatile boolean fired;

        Waiter(Thread thread) {
            this.thread = thread;
        }
    }

    private static final class Node extends FenceCallback {
        private final Waiter waiter;

        Node(Waiter waiter) {
            this.waiter = waiter;
        }

        @Override
        protected void onSignaled(Fence fence) {
            waiter.fired = true;
            LockSupport.unpark(waiter.thread);
        }

        @Override
        public String toString() {
            return "SyncPoller node for " + waiter.thread;
        }
    }
}
