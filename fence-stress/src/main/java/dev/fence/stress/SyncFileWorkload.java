package dev.fence.stress;

import dev.fence.core.Fence;
import dev.fence.core.FenceStatus;
import dev.fence.syncfile.BadHandleException;
import dev.fence.syncfile.FdTable;
import dev.fence.syncfile.FenceInfo;
import dev.fence.syncfile.PointNotSubmittedException;
import dev.fence.syncfile.SyncFile;
import dev.fence.syncfile.SyncFileInfo;
import dev.fence.syncfile.SyncObj;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.atomic.LongAdder;

/**
 * fence-syncfile under load: shared slots of {@link SyncFile}s that workers create, dup, merge,
 * poll, describe and close while others still use them; one {@link FdTable} with install / get /
 * close / detach; binary {@link SyncObj}s replaced, signalled, reset, exported to and imported
 * from files, and waited on; timeline SyncObjs with points added (in rising order, racing each
 * other), host-signalled, queried, waited on and watched with {@code onPoint}.
 *
 * <p>Fences come in two families, both driver fences that count {@code deallocate()}:
 * <em>file fences</em> (held by files, fds and binary syncobjs only, so every reference is given
 * back at the end: created must equal deallocated) and <em>timeline fences</em> (kept by
 * syncobj chains for as long as the chain exists, so only signalling is checked).
 *
 * <p>Checked as it goes: a fence handed out by {@code fence()} / {@code dup()} / a syncobj is
 * never at reference count zero; closing races are quiet (a closed file only ever gives
 * {@link BadHandleException}); a poll or wait that reports ready saw a signalled fence, and
 * one that timed out did so neither early nor late; {@code info()}'s aggregate matches its
 * members; an fd is never handed to two owners; {@code query()} never goes backwards, never
 * exceeds the newest point, and a wait for a point that returned has the point reached;
 * {@code deallocate()} runs at most once per fence. At the end: every file, fd and binary
 * syncobj is closed or reset and every file fence deallocated; every onPoint action ran exactly
 * once; every timeline reached its newest point.
 */
final class SyncFileWorkload implements SoakWorkload {

    private static final int FENCES = 32;
    private static final int FILES = 48;
    private static final int FDS = 64;
    private static final int BINARY = 8;
    private static final int TIMELINES = 2;

    private final SoakContext ctx;
    /** Orders deallocations against calls that hand out references (see checkHandedOut). */
    private final AtomicLong epoch = new AtomicLong(1);

    /** The table's reference on each pending file fence; swapped out to signal it. */
    private final AtomicReferenceArray<TrackedFence> fences = new AtomicReferenceArray<>(FENCES);
    private final AtomicReferenceArray<TrackedFence> timelineFences =
            new AtomicReferenceArray<>(FENCES);
    private final AtomicReferenceArray<SyncFile> files = new AtomicReferenceArray<>(FILES);
    private final FdTable fds = new FdTable();
    /** 0 free, 1 owned by the workload (installed), 2 claimed by one closer. */
    private final AtomicIntegerArray fdOwner = new AtomicIntegerArray(4 * FDS);
    private final SyncObj[] binary = new SyncObj[BINARY];
    private final SyncObj[] timelines = new SyncObj[TIMELINES];
    private final AtomicLong[] maxQuery = new AtomicLong[TIMELINES];
    private final LongAdder watchesRegistered = new LongAdder();

    private final LongAdder fileFencesCreated = new LongAdder();
    private final LongAdder fileFencesDeallocated = new LongAdder();
    private final LongAdder timelineFencesCreated = new LongAdder();
    private final LongAdder badHandles = new LongAdder();
    private final LongAdder pointsAdded = new LongAdder();
    private final LongAdder watchesRun = new LongAdder();

    SyncFileWorkload(SoakContext ctx) {
        this.ctx = ctx;
        for (int i = 0; i < BINARY; i++) {
            binary[i] = SyncObj.create(i % 2 == 0);
        }
        for (int i = 0; i < TIMELINES; i++) {
            timelines[i] = SyncObj.create();
            maxQuery[i] = new AtomicLong();
        }
    }

    @Override
    public String name() {
        return "syncfile";
    }

    /** A driver fence that counts its deallocation; stalls in the hook now and then. */
    private final class TrackedFence extends Fence {
        private final boolean fileFamily;
        private final AtomicInteger deallocs = new AtomicInteger();
        /** The epoch at deallocation; 0 while alive. */
        volatile long deallocEpoch;

        TrackedFence(boolean fileFamily) {
            super(Fence.allocateContexts(1), 1);
            this.fileFamily = fileFamily;
            (fileFamily ? fileFencesCreated : timelineFencesCreated).increment();
        }

        @Override
        protected void deallocate() {
            deallocEpoch = epoch.incrementAndGet();
            if (deallocs.incrementAndGet() != 1) {
                ctx.violation("syncfile: deallocate() ran twice for " + describe());
            }
            if (fileFamily) {
                fileFencesDeallocated.increment();
            }
        }

        @Override
        public String driverName() {
            return "soak";
        }
    }

    /** An onPoint registration: its action must run exactly once. */
    private final class Watch implements Runnable {
        final AtomicInteger runs = new AtomicInteger();
        final String what;

        Watch(String what) {
            this.what = what;
            watchesRegistered.increment();
        }

        @Override
        public void run() {
            if (runs.incrementAndGet() != 1) {
                ctx.violation("syncfile: onPoint action ran twice: " + what);
            }
            watchesRun.increment();
        }
    }

    @Override
    public void step(SoakContext c, SplittableRandom rnd) throws InterruptedException {
        int op = rnd.nextInt(100);
        if (op < 8) {
            newFence(rnd);
        } else if (op < 14) {
            signalFence(rnd);
        } else if (op < 22) {
            createFile(rnd);
        } else if (op < 28) {
            fileOp(rnd, 0); // dup
        } else if (op < 32) {
            fileOp(rnd, 1); // merge
        } else if (op < 38) {
            fileOp(rnd, 2); // fence() + poll
        } else if (op < 41) {
            fileOp(rnd, 3); // info
        } else if (op < 47) {
            closeFile(rnd);
        } else if (op < 55) {
            fdOp(rnd);
        } else if (op < 68) {
            binaryOp(rnd);
        } else if (op < 74) {
            binaryAwait(rnd);
        } else if (op < 90) {
            timelineOp(rnd);
        } else {
            timelineAwait(rnd);
        }
    }

    // ------------------------------------------------------------------------------------------
    // fences

    private void newFence(SplittableRandom rnd) {
        boolean file = rnd.nextInt(3) != 0;
        AtomicReferenceArray<TrackedFence> table = file ? fences : timelineFences;
        TrackedFence old = table.getAndSet(rnd.nextInt(FENCES), new TrackedFence(file));
        if (old != null) {
            retire(old, rnd);
        }
        ctx.op("syncfile.fence.new");
    }

    private void signalFence(SplittableRandom rnd) {
        AtomicReferenceArray<TrackedFence> table = rnd.nextBoolean() ? fences : timelineFences;
        TrackedFence old = table.getAndSet(rnd.nextInt(FENCES), null);
        if (old != null) {
            retire(old, rnd);
        }
        ctx.op("syncfile.fence.signal");
    }

    /** Signals a fence swapped out of a table and drops the table's reference. */
    private void retire(TrackedFence f, SplittableRandom rnd) {
        SoakContext.maybeDelay(rnd, 8);
        if (rnd.nextInt(5) == 0) {
            f.signal(Probes.ERR);
        } else {
            f.signal();
        }
        f.release();
    }

    /** A file fence with a reference for the caller, or null. */
    private Fence borrow(SplittableRandom rnd, boolean file) {
        AtomicReferenceArray<TrackedFence> table = file ? fences : timelineFences;
        TrackedFence f = table.get(rnd.nextInt(FENCES));
        if (f == null || !f.tryRetain()) {
            return null; // empty slot, or retired and released meanwhile
        }
        return f;
    }

    // ------------------------------------------------------------------------------------------
    // sync files

    private void createFile(SplittableRandom rnd) {
        Fence f = borrow(rnd, true);
        if (f == null) {
            return;
        }
        SyncFile file = rnd.nextBoolean() ? SyncFile.create(f) : SyncFile.create("soak", f);
        f.release();
        put(file, rnd);
        ctx.op("syncfile.file.create");
    }

    private void put(SyncFile file, SplittableRandom rnd) {
        SyncFile old = files.getAndSet(rnd.nextInt(FILES), file);
        if (old != null) {
            old.close();
        }
    }

    private void closeFile(SplittableRandom rnd) {
        // not swapped out: other threads may still hold it from a read of the slot
        SyncFile f = files.get(rnd.nextInt(FILES));
        if (f != null) {
            f.close();
            f.close(); // the second close is quiet
            ctx.op("syncfile.file.close");
        }
    }

    private void fileOp(SplittableRandom rnd, int kind) throws InterruptedException {
        SyncFile f = files.get(rnd.nextInt(FILES));
        if (f == null) {
            return;
        }
        SyncFile other = f;
        try {
            switch (kind) {
                case 0: {
                    long e0 = epoch.incrementAndGet();
                    SyncFile d = f.dup();
                    checkHandedOut(d.fence(), "SyncFile.dup()", true, e0);
                    put(d, rnd);
                    ctx.op("syncfile.file.dup");
                    break;
                }
                case 1: {
                    SyncFile g = files.get(rnd.nextInt(FILES));
                    other = g == null ? f : g;
                    SyncFile m = SyncFile.merge("soak-merge", f, other);
                    put(m, rnd);
                    ctx.op("syncfile.file.merge");
                    break;
                }
                case 2:
                    pollFile(f, rnd);
                    break;
                default:
                    checkInfo(f.info());
                    ctx.op("syncfile.file.info");
                    break;
            }
        } catch (BadHandleException e) {
            if (!f.isClosed() && !other.isClosed()) {
                ctx.violation("syncfile: BadHandleException from an open file: " + e);
            }
            badHandles.increment();
        }
    }

    /**
     * Checks a fence handed out "with a new reference" by a call that started at epoch
     * {@code e0}: its count must be at least 1. The one legal exception is a fence that was
     * already dead before the call (a member of an uncounted container that everyone released,
     * which the library then hands out uncounted). A fence released to zero during the call was
     * released under the caller: see docs/stress.md, findings.
     */
    private void checkHandedOut(Fence g, String what, boolean release, long e0) {
        if (g == null || g == Fence.signaledStub()) {
            return;
        }
        if (g.refCnt() < 1) {
            long d = g instanceof TrackedFence ? ((TrackedFence) g).deallocEpoch : 0;
            if (d != 0 && d < e0) {
                ctx.op("syncfile.handedOut.uncountedDeadBefore");
            } else {
                ctx.violation("syncfile: " + what + " returned a fence released to reference"
                        + " count 0 during the call: " + g.describe());
            }
            return;
        }
        if (release) {
            g.release();
        }
    }

    private void pollFile(SyncFile f, SplittableRandom rnd) throws InterruptedException {
        long e0 = epoch.incrementAndGet();
        Fence g = f.fence();
        checkHandedOut(g, "SyncFile.fence()", false, e0);
        try {
            long timeout = rnd.nextInt(4) == 0 ? 0 : rnd.nextInt(2_000_000);
            long start = System.nanoTime();
            boolean ready = f.poll(timeout, TimeUnit.NANOSECONDS);
            long elapsed = System.nanoTime() - start;
            if (ready) {
                if (!g.isSignaled()) {
                    ctx.violation("syncfile: poll() reported ready on a pending fence");
                }
                ctx.checkOvershoot("syncfile poll", timeout, elapsed);
                ctx.op("syncfile.file.poll.ready");
            } else {
                ctx.checkTimeout("syncfile poll", timeout, elapsed);
                ctx.op("syncfile.file.poll.timeout");
            }
        } finally {
            if (g.refCnt() > 0) {
                g.release();
            }
        }
    }

    private void checkInfo(SyncFileInfo info) {
        FenceStatus expect = FenceStatus.SIGNALED;
        for (FenceInfo fi : info.fences()) {
            if (expect == FenceStatus.SIGNALED) {
                expect = fi.status();
            }
        }
        // members are read one by one, so a member may signal after the aggregate was decided;
        // the aggregate can only be "behind", never claim more than its members
        if (info.status() == FenceStatus.SIGNALED && expect != FenceStatus.SIGNALED) {
            ctx.violation("syncfile: info() aggregate SIGNALED but a member is " + expect);
        }
    }

    // ------------------------------------------------------------------------------------------
    // fd table

    private void fdOp(SplittableRandom rnd) {
        int kind = rnd.nextInt(4);
        if (kind == 0) {
            SyncFile f = files.get(rnd.nextInt(FILES));
            if (f == null || fds.size() >= FDS) {
                return;
            }
            SyncFile d;
            try {
                d = f.dup();
            } catch (BadHandleException e) {
                badHandles.increment();
                return;
            }
            int fd = fds.install(d);
            if (fd < 0 || fd >= fdOwner.length()) {
                ctx.violation("syncfile: fd " + fd + " with about " + FDS
                        + " open: not the lowest free");
                return;
            }
            if (!fdOwner.compareAndSet(fd, 0, 1)) {
                ctx.violation("syncfile: fd " + fd + " handed out while still open");
            }
            ctx.op("syncfile.fd.install");
        } else if (kind == 1) {
            int fd = rnd.nextInt(FDS);
            try {
                SyncFile f = fds.get(fd);
                f.isSignaled(); // use it; BadHandleException if closed meanwhile
                ctx.op("syncfile.fd.get");
            } catch (BadHandleException e) {
                ctx.op("syncfile.fd.get.bad");
            }
        } else {
            int fd = rnd.nextInt(FDS + 8);
            if (!fdOwner.compareAndSet(fd, 1, 2)) {
                return;
            }
            fdOwner.set(fd, 0); // the number stays taken in the table until the close below
            if (kind == 2) {
                fds.close(fd);
                ctx.op("syncfile.fd.close");
            } else {
                SyncFile f = fds.detach(fd);
                if (f.isClosed()) {
                    ctx.violation("syncfile: detach(" + fd + ") returned a closed file");
                }
                put(f, rnd);
                ctx.op("syncfile.fd.detach");
            }
        }
    }

    // ------------------------------------------------------------------------------------------
    // binary syncobjs

    private void binaryOp(SplittableRandom rnd) {
        SyncObj obj = binary[rnd.nextInt(BINARY)];
        int kind = rnd.nextInt(7);
        switch (kind) {
            case 0: {
                Fence f = borrow(rnd, true);
                if (f != null) {
                    obj.replaceFence(f);
                    f.release();
                    ctx.op("syncfile.syncobj.replace");
                }
                break;
            }
            case 1:
                obj.signal();
                ctx.op("syncfile.syncobj.signal");
                break;
            case 2:
                obj.reset();
                ctx.op("syncfile.syncobj.reset");
                break;
            case 3: {
                long e0 = epoch.incrementAndGet();
                checkHandedOut(obj.fence(), "SyncObj.fence()", true, e0);
                ctx.op("syncfile.syncobj.fence");
                break;
            }
            case 4:
                try {
                    put(obj.exportSyncFile(0), rnd);
                    ctx.op("syncfile.syncobj.export");
                } catch (PointNotSubmittedException e) {
                    ctx.op("syncfile.syncobj.export.empty");
                }
                break;
            case 5: {
                SyncFile f = files.get(rnd.nextInt(FILES));
                if (f != null) {
                    try {
                        obj.importSyncFile(f, 0);
                        ctx.op("syncfile.syncobj.import");
                    } catch (BadHandleException e) {
                        badHandles.increment();
                    }
                }
                break;
            }
            default: {
                Watch w = new Watch("binary point 0");
                obj.onPoint(0, rnd.nextBoolean() ? SyncObj.WAIT_AVAILABLE : 0, w);
                ctx.op("syncfile.syncobj.onPoint");
                break;
            }
        }
    }

    private void binaryAwait(SplittableRandom rnd) throws InterruptedException {
        int n = 1 + rnd.nextInt(3);
        SyncObj[] objs = new SyncObj[n];
        for (int i = 0; i < n; i++) {
            objs[i] = binary[rnd.nextInt(BINARY)];
        }
        int flags = rnd.nextInt(8);
        awaitChecked(objs, null, flags, rnd, "binary");
    }

    private void awaitChecked(SyncObj[] objs, long[] points, int flags, SplittableRandom rnd,
            String what) throws InterruptedException {
        long timeout = rnd.nextInt(4) == 0 ? 0 : rnd.nextInt(2_000_000);
        long start = System.nanoTime();
        int r;
        try {
            r = SyncObj.await(objs, points, flags, timeout, TimeUnit.NANOSECONDS);
        } catch (PointNotSubmittedException e) {
            if ((flags & (SyncObj.WAIT_FOR_SUBMIT | SyncObj.WAIT_AVAILABLE)) != 0) {
                ctx.violation(
                        "syncfile: PointNotSubmittedException despite WAIT_FOR_SUBMIT/AVAILABLE");
            }
            ctx.op("syncfile.await." + what + ".notSubmitted");
            return;
        }
        long elapsed = System.nanoTime() - start;
        if (r == -1) {
            ctx.checkTimeout("syncobj await", timeout, elapsed);
            ctx.op("syncfile.await." + what + ".timeout");
        } else if (r < 0 || r >= objs.length || ((flags & SyncObj.WAIT_ALL) != 0 && r != 0)) {
            ctx.violation("syncfile: await returned " + r + " for " + objs.length + " objects");
        } else {
            ctx.checkOvershoot("syncobj await", timeout, elapsed);
            if (points != null && (flags & SyncObj.WAIT_AVAILABLE) == 0) {
                // the awaited point was reached; query() must say so from now on
                for (int i = 0; i < objs.length; i++) {
                    if ((flags & SyncObj.WAIT_ALL) != 0 || i == r) {
                        if (objs[i].query() < points[i]) {
                            ctx.violation("syncfile: await returned for point " + points[i]
                                    + " but query() is " + objs[i].query());
                        }
                    }
                }
            }
            ctx.op("syncfile.await." + what + ".ready");
        }
    }

    // ------------------------------------------------------------------------------------------
    // timeline syncobjs

    private void timelineOp(SplittableRandom rnd) {
        int t = rnd.nextInt(TIMELINES);
        SyncObj obj = timelines[t];
        int kind = rnd.nextInt(6);
        if (kind <= 1) {
            long last = obj.lastSubmitted();
            long p = last + 1 + rnd.nextInt(3);
            Fence f = kind == 0 ? borrow(rnd, false) : null;
            try {
                if (f != null) {
                    obj.addPoint(p, f);
                    ctx.op("syncfile.timeline.addPoint");
                } else {
                    obj.signal(p);
                    ctx.op("syncfile.timeline.hostSignal");
                }
                pointsAdded.increment();
            } catch (IllegalArgumentException e) {
                // another thread added p or later first: points must rise
                if (obj.lastSubmitted() < p) {
                    ctx.violation("syncfile: addPoint(" + p + ") refused with newest point "
                            + obj.lastSubmitted() + ": " + e);
                }
                ctx.op("syncfile.timeline.addPoint.late");
            } finally {
                if (f != null) {
                    f.release();
                }
            }
        } else if (kind <= 3) {
            long before = maxQuery[t].get();
            long q = obj.query();
            long last = obj.lastSubmitted();
            if (q < before) {
                ctx.violation("syncfile: query() went back from " + before + " to " + q);
            }
            if (q > last) {
                ctx.violation("syncfile: query() " + q + " above the newest point " + last);
            }
            maxQuery[t].accumulateAndGet(q, Math::max);
            ctx.op("syncfile.timeline.query");
        } else if (kind == 4) {
            long p = obj.lastSubmitted() + rnd.nextInt(4) - 1;
            Watch w = new Watch("timeline point");
            obj.onPoint(Math.max(p, 1), rnd.nextBoolean() ? SyncObj.WAIT_AVAILABLE : 0, w);
            ctx.op("syncfile.timeline.onPoint");
        } else {
            try {
                long e0 = epoch.incrementAndGet();
                Fence g = obj.fenceAt(Math.max(1, obj.query() + rnd.nextInt(3)));
                checkHandedOut(g, "SyncObj.fenceAt()", true, e0);
                ctx.op("syncfile.timeline.fenceAt");
            } catch (PointNotSubmittedException e) {
                ctx.op("syncfile.timeline.fenceAt.notSubmitted");
            }
        }
    }

    private void timelineAwait(SplittableRandom rnd) throws InterruptedException {
        int t = rnd.nextInt(TIMELINES);
        SyncObj obj = timelines[t];
        long p = Math.max(1, obj.lastSubmitted() + rnd.nextInt(4) - 1);
        int flags = rnd.nextInt(8) & ~SyncObj.WAIT_ALL;
        awaitChecked(new SyncObj[] {obj}, new long[] {p}, flags, rnd, "timeline");
    }

    // ------------------------------------------------------------------------------------------

    @Override
    public void finish(SoakContext c) {
        for (int i = 0; i < FENCES; i++) {
            TrackedFence f = fences.getAndSet(i, null);
            if (f != null) {
                f.signal();
                f.release();
            }
            f = timelineFences.getAndSet(i, null);
            if (f != null) {
                f.signal();
                f.release();
            }
        }
        for (int i = 0; i < FILES; i++) {
            SyncFile f = files.getAndSet(i, null);
            if (f != null) {
                f.close();
            }
        }
        fds.closeAll();
        if (fds.size() != 0) {
            ctx.violation("syncfile: " + fds.size() + " fds open after closeAll()");
        }
        for (SyncObj obj : binary) {
            obj.signal(); // delivers pending submit watches
            obj.reset();
        }
        for (int t = 0; t < TIMELINES; t++) {
            SyncObj obj = timelines[t];
            obj.signal(obj.lastSubmitted() + 4); // covers watches up to 2 beyond the newest point
            if (obj.query() != obj.lastSubmitted()) {
                ctx.violation("syncfile: timeline reached " + obj.query() + " of "
                        + obj.lastSubmitted() + " with every fence signalled");
            }
        }
        if (watchesRegistered.sum() != watchesRun.sum()) {
            ctx.violation("syncfile: onPoint actions registered " + watchesRegistered.sum()
                    + " but ran " + watchesRun.sum() + " with every point reached");
        }
        if (fileFencesCreated.sum() != fileFencesDeallocated.sum()) {
            ctx.violation("syncfile: file fences created " + fileFencesCreated.sum()
                    + " but deallocated " + fileFencesDeallocated.sum()
                    + " after every file, fd and binary syncobj let go");
        }
    }

    @Override
    public String summary() {
        return String.format("file fences created %d, deallocated %d; timeline fences %d,"
                        + " points added %d; onPoint actions %d, ran %d; BadHandleException on"
                        + " closed files %d",
                fileFencesCreated.sum(), fileFencesDeallocated.sum(), timelineFencesCreated.sum(),
                pointsAdded.sum(), watchesRegistered.sum(), watchesRun.sum(), badHandles.sum());
    }
}
