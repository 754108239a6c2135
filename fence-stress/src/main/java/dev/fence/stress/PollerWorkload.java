package dev.fence.stress;

import dev.fence.core.Fence;
import dev.fence.core.FenceStatus;
import dev.fence.syncfile.SyncFile;
import dev.fence.syncfile.SyncPoller;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.atomic.LongAdder;

/**
 * The registered {@link SyncPoller} under load: a few long-lived pollers, each selected by one
 * worker at a time, while every worker registers files on them (closing each file right after, so
 * the key's own reference is what keeps the fence), cancels keys, wakes pollers up and signals
 * the fences (some with an error, after a random delay); plus short-lived pollers that a worker
 * opens, fills, selects and closes.
 *
 * <p>Checked as it goes: {@code select} returns the size of {@code readyKeys()}; no key is listed
 * twice; a listed key that is still valid has a signalled fence; a select that returned 0 on a
 * poller that never gets {@code wakeup()} calls did not return before its timeout (keys
 * cancelled between their signal and the select must not end the wait), and no select returned
 * long after its timeout; closing a poller leaves every key it
 * returned invalid. At the end, after every poller is closed and every fence retired, each fence
 * was deallocated exactly once: every key gave its reference back, once.
 */
final class PollerWorkload implements SoakWorkload {

    private static final int FENCES = 24;
    private static final int POLLERS = 4;
    private static final int KEYS = 32;
    /** Pollers 0 .. WOKEN_POLLERS-1 get wakeup() calls; on the others a 0 must be a timeout. */
    private static final int WOKEN_POLLERS = 2;

    private final SoakContext ctx;
    private final AtomicReferenceArray<TrackedFence> fences = new AtomicReferenceArray<>(FENCES);
    private final Shared[] pollers = new Shared[POLLERS];

    private final LongAdder created = new LongAdder();
    private final LongAdder deallocated = new LongAdder();
    private final LongAdder readySeen = new LongAdder();
    private final LongAdder busy = new LongAdder();

    PollerWorkload(SoakContext ctx) {
        this.ctx = ctx;
        for (int i = 0; i < POLLERS; i++) {
            pollers[i] = new Shared();
        }
    }

    /** A long-lived poller, the claim that makes one worker its selector, and its key slots. */
    private static final class Shared {
        final SyncPoller poller = SyncPoller.open();
        final AtomicBoolean selecting = new AtomicBoolean();
        final AtomicReferenceArray<SyncPoller.Key> keys = new AtomicReferenceArray<>(KEYS);
        final AtomicInteger wakeups = new AtomicInteger();
    }

    /** A fence that counts its deallocation. */
    private final class TrackedFence extends Fence {
        private final AtomicInteger deallocs = new AtomicInteger();

        TrackedFence() {
            super(Fence.allocateContexts(1), 1);
            created.increment();
        }

        @Override
        protected void deallocate() {
            if (deallocs.incrementAndGet() != 1) {
                ctx.violation("poller: deallocate() ran twice for " + describe());
            }
            deallocated.increment();
        }

        @Override
        public String driverName() {
            return "soak-poller";
        }
    }

    @Override
    public String name() {
        return "poller";
    }

    @Override
    public void step(SoakContext c, SplittableRandom rnd) throws InterruptedException {
        int op = rnd.nextInt(100);
        if (op < 12) {
            newFence(rnd);
        } else if (op < 24) {
            retireSlot(rnd);
        } else if (op < 50) {
            register(rnd);
        } else if (op < 62) {
            cancel(rnd);
        } else if (op < 88) {
            select(rnd);
        } else if (op < 94) {
            Shared s = pollers[rnd.nextInt(WOKEN_POLLERS)];
            s.wakeups.incrementAndGet();
            s.poller.wakeup();
            ctx.op("poller.wakeup");
        } else {
            ephemeral(rnd);
        }
    }

    private void newFence(SplittableRandom rnd) {
        TrackedFence old = fences.getAndSet(rnd.nextInt(FENCES), new TrackedFence());
        if (old != null) {
            retire(old, rnd);
        }
        ctx.op("poller.fence.new");
    }

    private void retireSlot(SplittableRandom rnd) {
        TrackedFence old = fences.getAndSet(rnd.nextInt(FENCES), null);
        if (old != null) {
            retire(old, rnd);
            ctx.op("poller.fence.signal");
        }
    }

    private void retire(TrackedFence f, SplittableRandom rnd) {
        SoakContext.maybeDelay(rnd, 8);
        if (rnd.nextInt(5) == 0) {
            f.signal(Probes.ERR);
        } else {
            f.signal();
        }
        f.release();
    }

    /** A file over a live fence (the file holds the only reference this method took), or null. */
    private SyncFile file(SplittableRandom rnd) {
        TrackedFence f = fences.get(rnd.nextInt(FENCES));
        if (f == null || !f.tryRetain()) {
            return null;
        }
        SyncFile file = SyncFile.create(f);
        f.release();
        return file;
    }

    private void register(SplittableRandom rnd) {
        SyncFile file = file(rnd);
        if (file == null) {
            return;
        }
        Shared s = pollers[rnd.nextInt(POLLERS)];
        SyncPoller.Key k = s.poller.register(file, file);
        file.close(); // the key keeps its own reference
        SyncPoller.Key old = s.keys.getAndSet(rnd.nextInt(KEYS), k);
        if (old != null) {
            old.cancel();
        }
        ctx.op("poller.register");
    }

    private void cancel(SplittableRandom rnd) {
        Shared s = pollers[rnd.nextInt(POLLERS)];
        int i = rnd.nextInt(KEYS);
        if (rnd.nextBoolean()) {
            SyncPoller.Key k = s.keys.getAndSet(i, null);
            if (k != null) {
                k.cancel();
                if (k.isValid()) {
                    ctx.violation("poller: a key is valid after cancel()");
                }
                ctx.op("poller.cancel");
            }
        } else {
            SyncPoller.Key k = s.keys.get(i);
            if (k != null) {
                k.cancel(); // left in the slot: the later swap-out cancels it again (idempotent)
                ctx.op("poller.cancel.inPlace");
            }
        }
    }

    private void select(SplittableRandom rnd) throws InterruptedException {
        Shared s = pollers[rnd.nextInt(POLLERS)];
        if (!s.selecting.compareAndSet(false, true)) {
            busy.increment();
            return;
        }
        try {
            long timeout = rnd.nextInt(3) == 0 ? 0 : rnd.nextInt(2_000_000);
            long start = System.nanoTime();
            int n = s.poller.select(timeout, TimeUnit.NANOSECONDS);
            long elapsed = System.nanoTime() - start;
            checkReady(s.poller, n, "select");
            if (timeout > 0) {
                if (n == 0 && s.wakeups.get() == 0) {
                    ctx.checkTimeout("poller select", timeout, elapsed);
                } else {
                    ctx.checkOvershoot("poller select", timeout, elapsed);
                }
            }
            ctx.op(n == 0 ? "poller.select.empty" : "poller.select.ready");
        } finally {
            s.selecting.set(false);
        }
    }

    private void checkReady(SyncPoller p, int n, String what) {
        List<SyncPoller.Key> ready = p.readyKeys();
        if (n != ready.size()) {
            ctx.violation("poller: " + what + " returned " + n + " but lists " + ready.size());
        }
        IdentityHashMap<SyncPoller.Key, Boolean> seen = new IdentityHashMap<>();
        for (SyncPoller.Key k : ready) {
            if (seen.put(k, Boolean.TRUE) != null) {
                ctx.violation("poller: a key listed twice by " + what);
            }
            try {
                if (k.status() == FenceStatus.PENDING) {
                    ctx.violation("poller: " + what + " listed a key whose fence is pending");
                }
            } catch (IllegalStateException cancelledMeanwhile) {
                ctx.op("poller.ready.cancelledSince");
            }
        }
        readySeen.add(ready.size());
    }

    /** A poller of this worker's own: fill it, select once, close it, check the keys. */
    private void ephemeral(SplittableRandom rnd) throws InterruptedException {
        SyncPoller.Key[] keys = new SyncPoller.Key[1 + rnd.nextInt(8)];
        try (SyncPoller p = SyncPoller.open()) {
            for (int i = 0; i < keys.length; i++) {
                SyncFile f = file(rnd);
                if (f != null) {
                    keys[i] = p.register(f, null);
                    f.close();
                }
            }
            int n = p.select(rnd.nextInt(500_000), TimeUnit.NANOSECONDS);
            checkReady(p, n, "ephemeral select");
        }
        for (SyncPoller.Key k : keys) {
            if (k != null && k.isValid()) {
                ctx.violation("poller: a key is still valid after its poller was closed");
            }
        }
        ctx.op("poller.ephemeral");
    }

    @Override
    public void finish(SoakContext c) {
        for (Shared s : pollers) {
            s.poller.close();
            for (int i = 0; i < KEYS; i++) {
                SyncPoller.Key k = s.keys.get(i);
                if (k != null && k.isValid()) {
                    ctx.violation("poller: a key is still valid after close()");
                }
            }
        }
        SplittableRandom rnd = new SplittableRandom(1);
        for (int i = 0; i < FENCES; i++) {
            TrackedFence f = fences.getAndSet(i, null);
            if (f != null) {
                retire(f, rnd);
            }
        }
        if (created.sum() != deallocated.sum()) {
            ctx.violation("poller: " + created.sum() + " fences created but " + deallocated.sum()
                    + " deallocated (a key kept or dropped a reference twice)");
        }
    }

    @Override
    public String summary() {
        return String.format("fences created %d, deallocated %d; ready keys seen %d;"
                        + " select busy %d",
                created.sum(), deallocated.sum(), readySeen.sum(), busy.sum());
    }
}
