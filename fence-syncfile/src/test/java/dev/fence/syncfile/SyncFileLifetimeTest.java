package dev.fence.syncfile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.fence.core.Fence;
import dev.fence.core.FenceStatus;
import dev.fence.core.Timeline;
import java.util.BitSet;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

/** SyncFile lifetimes and names against the kernel's sync_file: merge, close while polled. */
class SyncFileLifetimeTest {

    /**
     * Rounds of the close-while-polled tests: close() does not end the poll, so its 300 ms
     * timeout bounds each round, and on a loaded machine (or a cold JVM) it can expire before
     * this thread sees the poller parked; such a round proves nothing and is run again.
     */
    private static final int ATTEMPTS = 20;

    /** sw_sync ownership: the file holds the fence's only reference (the creator's is dropped). */
    private static SyncFile owned(Timeline tl, long value) {
        return soleOwner(tl.fenceAt(value));
    }

    /** A file holding {@code f}'s only reference (the creator's is dropped). */
    private static SyncFile soleOwner(Fence f) {
        SyncFile file = SyncFile.create(f);
        f.release();
        return file;
    }

    /** Two timelines with a file each on point 1 (sw_sync ownership), the merge tests' inputs. */
    private static final class TwoFiles {
        final Timeline t1 = Timeline.create("a");
        final Timeline t2 = Timeline.create("b");
        final SyncFile a = owned(t1, 1);
        final SyncFile b = owned(t2, 1);

        void closeInputs() {
            a.close();
            b.close();
        }

        void signalBoth() {
            t1.signalUpTo(1);
            t2.signalUpTo(1);
        }
    }

    /**
     * Kernel: the merged sync_file's array holds references on its members, so closing the
     * input files changes nothing. The merged array must hold its members: otherwise closing
     * the inputs drops the members' last references while the array's
     * member callbacks are queued, each member is force-signalled with FenceReleasedException,
     * and the merged file turns ready with ERROR before its timelines move.
     */
    @Test
    void mergedFileSurvivesClosingItsInputsWhileWatched() throws Exception {
        TwoFiles in = new TwoFiles();
        try (SyncFile m = SyncFile.merge("m", in.a, in.b)) {
            // enables the array (poll(2)'s first call)
            assertFalse(m.poll(0, TimeUnit.MILLISECONDS));
            in.closeInputs();
            assertEquals(FenceStatus.PENDING, m.status(), "closing the inputs ended the merge");
            assertFalse(m.poll(0, TimeUnit.MILLISECONDS));
            in.signalBoth();
            assertEquals(FenceStatus.SIGNALED, m.status());
        }
    }

    /** The same through a poller key, which holds its own copy of the file. */
    @Test
    void pollerKeyOnMergedFileSurvivesClosingEveryFile() throws Exception {
        TwoFiles in = new TwoFiles();
        SyncFile m = SyncFile.merge("m", in.a, in.b);
        try (SyncPoller p = SyncPoller.open()) {
            SyncPoller.Key k = p.register(m, null);
            m.close();
            in.closeInputs();
            assertEquals(0, p.selectNow(), "a key turned ready though no timeline moved");
            assertEquals(FenceStatus.PENDING, k.status());
        }
    }

    /**
     * Kernel: a syncobj importing a merged sync_file holds a reference on the array, and the
     * array holds its members. Holding only the array (when arrays counted no member) let
     * closing the files release the members: each was force-signalled with
     * FenceReleasedException, and the object reported its point reached with an error while
     * both timelines were still pending.
     */
    @Test
    void syncObjImportOfMergedFileSurvivesClosingEveryFile() throws Exception {
        for (long point : new long[] {0, 3}) {
            TwoFiles in = new TwoFiles();
            SyncFile m = SyncFile.merge("m", in.a, in.b);
            SyncObj obj = SyncObj.create();
            obj.importSyncFile(m, point);
            m.close();
            in.closeInputs();
            SyncObj[] objs = {obj};
            long[] points = {point};
            assertEquals(-1, SyncObj.await(objs, points, 0, 0, TimeUnit.SECONDS),
                    "point " + point + " reached with both timelines pending");
            assertEquals(0, obj.query());
            in.signalBoth();
            assertEquals(0, SyncObj.await(objs, points, 0, 0, TimeUnit.SECONDS));
            Fence f = obj.fenceAt(point);
            assertEquals(FenceStatus.SIGNALED, f.status(), "signalled without error");
            f.release();
            assertEquals(point, obj.query());
        }
    }

    /** A file exported from the object keeps the array's members after the object lets go. */
    @Test
    void exportOfAMergedFenceSurvivesTheObjectReplacingIt() throws Exception {
        TwoFiles in = new TwoFiles();
        SyncObj obj = SyncObj.create();
        try (SyncFile m = SyncFile.merge("m", in.a, in.b)) {
            obj.importSyncFile(m, 0);
        }
        in.closeInputs();
        try (SyncFile e = obj.exportSyncFile(0)) {
            obj.reset();
            assertFalse(e.poll(0, TimeUnit.MILLISECONDS), "the export turned ready by itself");
            assertEquals(FenceStatus.PENDING, e.status());
            in.signalBoth();
            assertEquals(FenceStatus.SIGNALED, e.status());
        }
    }

    /**
     * Kernel: poll(2) holds the file for the whole call, so a close() by another thread does
     * not end the wait and does not touch the fence. A poll that held no reference would let
     * close() release the last one with the waiter queued: the fence would be force-signalled
     * with FenceReleasedException and poll would report it ready.
     */
    @Test
    void closeWhilePolledDoesNotMakeThePollReady() throws Exception {
        for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            if (closeWhilePolledRound()) {
                return;
            }
        }
        fail("in " + ATTEMPTS + " attempts the poll always timed out before it was seen parked");
    }

    /** One round; false if the poll timed out before this thread saw it parked (retry). */
    private static boolean closeWhilePolledRound() throws Exception {
        Timeline tl = Timeline.create("t");
        SyncFile sf = owned(tl, 1);
        Fence f = sf.peek();
        FutureTask<Boolean> task = new FutureTask<>(() -> sf.poll(300, TimeUnit.MILLISECONDS));
        Thread t = new Thread(task, "poller");
        t.setDaemon(true);
        t.start();
        if (!parkedBeforeDone(t, task, b -> b == f)) {
            assertFalse(task.get(), "a poll of a pending fence timed out ready");
            sf.close();
            return false;
        }
        sf.close();
        boolean result = task.get(5, TimeUnit.SECONDS);
        assertFalse(f.isSignaled(), "close() signalled the fence: " + f.describe());
        assertFalse(result, "poll reported a never-signalled fence ready");
        return true;
    }

    /**
     * The same for the one-shot poll over several files: it holds a reference on every fence
     * while it waits (before the eighteenth session it held none, and this test failed with the
     * fence force-signalled by FenceReleasedException and the closed file reported ready).
     */
    @Test
    void closeWhileStaticPollWaitsDoesNotMakeItReady() throws Exception {
        for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            if (closeWhileStaticPollWaitsRound()) {
                return;
            }
        }
        fail("in " + ATTEMPTS + " attempts the poll always timed out before it was seen parked");
    }

    /** One round; false if the poll timed out before this thread saw it parked (retry). */
    private static boolean closeWhileStaticPollWaitsRound() throws Exception {
        Timeline tl = Timeline.create("t");
        SyncFile sf = owned(tl, 1);
        SyncFile other = owned(tl, 2);
        Fence f = sf.peek();
        FutureTask<BitSet> task = new FutureTask<>(
                () -> SyncPoller.poll(300, TimeUnit.MILLISECONDS, sf, other));
        Thread t = new Thread(task, "poller");
        t.setDaemon(true);
        t.start();
        if (!parkedBeforeDone(t, task, b -> b != null)) {
            assertTrue(task.get().isEmpty(), "a poll of pending fences timed out with a result");
            sf.close();
            other.close();
            return false;
        }
        sf.close();
        BitSet ready = task.get(5, TimeUnit.SECONDS);
        assertFalse(f.isSignaled(), "close() signalled the fence: " + f.describe());
        assertTrue(ready.isEmpty(), "poll reported a never-signalled fence ready: " + ready);
        assertEquals(FenceStatus.PENDING, other.status());
        other.close();
        return true;
    }

    /**
     * Spins until {@code t} is parked in a timed wait whose blocker satisfies {@code blocker}
     * (true), or {@code task} has finished (false: its timeout expired before this thread got to
     * look, which happens on a loaded machine); fails after 10 s of neither.
     */
    private static boolean parkedBeforeDone(Thread t, FutureTask<?> task,
            Predicate<Object> blocker) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        for (;;) {
            if (t.getState() == Thread.State.TIMED_WAITING
                    && blocker.test(LockSupport.getBlocker(t))) {
                return true;
            }
            if (task.isDone()) {
                return false;
            }
            assertTrue(System.nanoTime() - deadline < 0, "poller neither parked nor finished");
            Thread.onSpinWait();
        }
    }

    /**
     * Kernel: SYNC_IOC_MERGE holds both files (fdget) for the ioctl, so a concurrent close() of
     * an input either comes first (EBADF, here BadHandleException) or after the merge, and then
     * the merged file still holds the input's fence. Before the eighteenth session merge()
     * peeked the inputs without a reference: a close() between the peek and the new array's
     * retain released the fence, and the array took it uncounted, so the merged file waited on
     * a released fence (refCnt 0). The window is a few instructions wide; this races many pairs.
     */
    @Test
    void mergeRacingCloseOfAnInputKeepsTheFenceOrFailsAsBadHandle() throws Exception {
        // Each input file holds the only reference to its fence (a timeline would hold another).
        long ctx = Fence.allocateContexts(2);
        int rounds = 20_000;
        Fence[] fences = new Fence[rounds];
        SyncFile[] as = new SyncFile[rounds];
        for (int i = 0; i < rounds; i++) {
            fences[i] = Fence.create(ctx, i + 1);
            as[i] = soleOwner(fences[i]);
        }
        SyncFile b = soleOwner(Fence.create(ctx + 1, 1));
        AtomicInteger started = new AtomicInteger(-1);
        AtomicInteger closed = new AtomicInteger(-1);
        Thread closer = new Thread(() -> {
            for (int i = 0; i < rounds; i++) {
                while (started.get() < i) {
                    Thread.onSpinWait();
                }
                as[i].close();
                closed.set(i);
            }
        }, "closer");
        closer.setDaemon(true);
        closer.start();
        int merged = 0;
        for (int i = 0; i < rounds; i++) {
            started.set(i);
            SyncFile m;
            try {
                m = SyncFile.merge("m", as[i], b);
            } catch (BadHandleException closedFirst) {
                continue;
            }
            while (closed.get() < i) {
                Thread.onSpinWait();
            }
            // a's file is closed now; the merged file must still hold a's fence
            assertTrue(fences[i].refCnt() >= 1, "round " + i + ": merged file holds a released "
                    + "fence " + fences[i].describe());
            m.close();
            merged++;
        }
        closer.join(TimeUnit.SECONDS.toMillis(10));
        assertTrue(merged > 0, "no merge came before its close in " + rounds + " rounds");
        b.close();
    }

    /**
     * Kernel sync_file_get_name(): a merge name that is empty (user_name[0] == 0) falls back to
     * the derived driver-timeline<ctx>-<seqno> name.
     */
    @Test
    void emptyMergeNameFallsBackToTheDerivedName() {
        try (SyncFile a = SyncFile.create(Fence.create(Fence.allocateContexts(1), 1));
                SyncFile b = SyncFile.create(Fence.create(Fence.allocateContexts(1), 1));
                SyncFile m = SyncFile.merge("", a, b)) {
            Fence mf = m.fence();
            String derived = mf.driverName() + '-' + mf.timelineName()
                    + Long.toUnsignedString(mf.context()) + '-' + Long.toUnsignedString(mf.seqno());
            mf.release();
            assertEquals(derived, m.name());
            assertEquals(derived, m.info().name());
        }
    }
}
