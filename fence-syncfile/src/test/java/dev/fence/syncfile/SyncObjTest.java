package dev.fence.syncfile;

import static dev.fence.syncfile.SyncObj.WAIT_ALL;
import static dev.fence.syncfile.SyncObj.WAIT_AVAILABLE;
import static dev.fence.syncfile.SyncObj.WAIT_FOR_SUBMIT;
import static dev.fence.syncfile.TestSupport.async;
import static dev.fence.syncfile.TestSupport.awaitParked;
import static dev.fence.syncfile.TestSupport.awaitWaiters;
import static dev.fence.syncfile.TestSupport.fresh;
import static dev.fence.syncfile.TestSupport.get;
import static dev.fence.syncfile.TestSupport.signalled;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fence.core.Fence;
import dev.fence.core.FenceStatus;
import dev.fence.core.Timeline;
import java.util.concurrent.Callable;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** Binary SyncObj behaviour, after IGT syncobj_basic and syncobj_wait. */
class SyncObjTest {

    private static int await1(SyncObj obj, int flags, long millis) throws InterruptedException {
        return SyncObj.await(new SyncObj[] {obj}, null, flags, millis, TimeUnit.MILLISECONDS);
    }

    /**
     * Runs {@code wait} in a new thread and each of {@code steps} once that thread is parked, and
     * returns the wait's result, failing after 10 s. The waits given here use a 60 s timeout: a
     * wait whose timeout ran out rescans before it returns -1 and so reports a fence that was
     * signalled without waking it, so only a bound shorter than that timeout catches a lost
     * wake-up; and a step run on a sleep instead of on the park may find the waiter not yet
     * blocked (a slow machine), so that the wake-up path goes untested.
     */
    private static int whenParked(Callable<Integer> wait, Runnable... steps) throws Exception {
        FutureTask<Integer> task = new FutureTask<>(wait);
        Thread waiter = new Thread(task, "delayed-waiter");
        waiter.setDaemon(true);
        waiter.start();
        for (Runnable step : steps) {
            awaitParked(waiter);
            step.run();
        }
        return get(task);
    }

    // ---- create / signal / reset -------------------------------------------------------------

    @Test
    void create_signaled() throws Exception {
        SyncObj obj = SyncObj.create(true);
        assertTrue(obj.hasFence());
        assertEquals(0, await1(obj, 0, 0));
    }

    @Test
    void createEmpty() throws Exception {
        SyncObj obj = SyncObj.create();
        assertFalse(obj.hasFence());
        assertNull(obj.fence());
        assertThrows(PointNotSubmittedException.class, () -> await1(obj, 0, 0));
        assertEquals(-1, await1(obj, WAIT_FOR_SUBMIT, 0));
    }

    @Test
    void signal() throws Exception {
        SyncObj obj = SyncObj.create(false);
        assertThrows(PointNotSubmittedException.class, () -> await1(obj, 0, 0));
        assertEquals(-1, await1(obj, WAIT_FOR_SUBMIT, 0));
        obj.signal();
        assertEquals(0, await1(obj, 0, 0));
        assertEquals(0, await1(obj, WAIT_FOR_SUBMIT, 0));
        Fence f = obj.fence();
        assertTrue(f.isSignaled());
        assertEquals(FenceStatus.SIGNALED, f.status());
    }

    @Test
    void reset_unsignaled() throws Exception {
        SyncObj obj = SyncObj.create();
        assertThrows(PointNotSubmittedException.class, () -> await1(obj, 0, 0));
        obj.reset();
        assertThrows(PointNotSubmittedException.class, () -> await1(obj, 0, 0));
    }

    @Test
    void reset_signaled() throws Exception {
        SyncObj obj = SyncObj.create(true);
        assertEquals(0, await1(obj, 0, 0));
        obj.reset();
        assertThrows(PointNotSubmittedException.class, () -> await1(obj, 0, 0));
    }

    @Test
    void reset_multiple_signaled() throws Exception {
        SyncObj[] objs = {SyncObj.create(true), SyncObj.create(true), SyncObj.create(true)};
        assertEquals(0, SyncObj.await(objs, null, WAIT_ALL, 0, TimeUnit.SECONDS));
        for (SyncObj o : objs) {
            o.reset();
        }
        for (SyncObj o : objs) {
            assertThrows(PointNotSubmittedException.class, () -> await1(o, 0, 0));
        }
    }

    // ---- replaceFence and references ---------------------------------------------------------

    @Test
    void replaceFenceHoldsAReferenceUntilReplaced() {
        SyncObj obj = SyncObj.create();
        Fence a = fresh();
        Fence b = fresh();
        obj.replaceFence(a);
        assertEquals(2, a.refCnt());
        Fence got = obj.fence();
        assertSame(a, got);
        assertEquals(3, a.refCnt());
        got.release();
        obj.replaceFence(b);
        assertEquals(1, a.refCnt());
        assertEquals(2, b.refCnt());
        obj.replaceFence(b); // same fence again: still one reference held by the object
        assertEquals(2, b.refCnt());
        obj.reset();
        assertEquals(1, b.refCnt());
        obj.replaceFence(null);
        assertFalse(obj.hasFence());
    }

    @Test
    void waitOnAReplacedFence() throws Exception {
        SyncObj obj = SyncObj.create();
        Fence f = fresh();
        obj.replaceFence(f);
        assertEquals(-1, await1(obj, 0, 0));
        assertEquals(-1, await1(obj, 0, 20));
        f.signal();
        assertEquals(0, await1(obj, 0, 0));
    }

    // ---- delayed waits (IGT *-delayed-*) -----------------------------------------------------

    @Test
    void wait_delayed_signal() throws Exception {
        SyncObj obj = SyncObj.create();
        Fence f = fresh();
        obj.replaceFence(f);
        assertEquals(0, whenParked(() -> await1(obj, 0, 60_000), f::signal));
        assertTrue(f.isSignaled());
    }

    @Test
    void wait_all_delayed_signal() throws Exception {
        SyncObj[] objs = {SyncObj.create(), SyncObj.create(), SyncObj.create()};
        Fence[] fs = {fresh(), fresh(), fresh()};
        for (int i = 0; i < 3; i++) {
            objs[i].replaceFence(fs[i]);
        }
        fs[1].signal();
        assertEquals(0, whenParked(() -> SyncObj.await(objs, null, WAIT_ALL, 60, TimeUnit.SECONDS),
                fs[0]::signal, fs[2]::signal));
        for (Fence f : fs) {
            assertTrue(f.isSignaled());
        }
    }

    @Test
    void wait_for_submit_delayed_submit() throws Exception {
        SyncObj obj = SyncObj.create();
        assertEquals(0, whenParked(() -> await1(obj, WAIT_FOR_SUBMIT, 60_000), obj::signal));
        assertEquals(0, obj.waiterCount());
    }

    @Test
    void wait_all_for_submit_delayed_submit() throws Exception {
        SyncObj[] objs = {SyncObj.create(), SyncObj.create(), SyncObj.create()};
        assertEquals(0, whenParked(() -> SyncObj.await(objs, null, WAIT_ALL | WAIT_FOR_SUBMIT, 60,
                TimeUnit.SECONDS), objs[2]::signal, objs[0]::signal, objs[1]::signal));
        for (SyncObj o : objs) {
            assertEquals(0, o.waiterCount());
        }
    }

    @Test
    void reset_during_wait_for_submit() throws Exception {
        SyncObj obj = SyncObj.create();
        assertEquals(0, whenParked(() -> await1(obj, WAIT_FOR_SUBMIT, 60_000), () -> {
            obj.reset();
            obj.signal();
        }));
    }

    // ---- wait-any index and snapshots -------------------------------------------------------

    @Test
    void waitAnyReturnsTheFirstSignalledIndex() throws Exception {
        SyncObj[] objs = {SyncObj.create(), SyncObj.create(), SyncObj.create(), SyncObj.create()};
        Fence[] fs = {fresh(), fresh(), fresh(), fresh()};
        for (int i = 0; i < objs.length; i++) {
            objs[i].replaceFence(fs[i]);
        }
        assertEquals(-1, SyncObj.await(objs, null, 0, 0, TimeUnit.SECONDS));
        fs[3].signal();
        fs[2].signal();
        assertEquals(2, SyncObj.await(objs, null, 0, 0, TimeUnit.SECONDS));
        assertEquals(-1, SyncObj.await(objs, null, WAIT_ALL, 0, TimeUnit.SECONDS));
        assertEquals(1, whenParked(() -> SyncObj.await(
                new SyncObj[] {objs[0], objs[1]}, null, 0, 60, TimeUnit.SECONDS), fs[1]::signal));
    }

    @Test
    void wait_any_snapshot() throws Exception {
        SyncObj a = SyncObj.create();
        SyncObj b = SyncObj.create();
        Fence fa = fresh();
        Fence fb = fresh();
        a.replaceFence(fa);
        b.replaceFence(fb);
        AtomicReference<Object> result = new AtomicReference<>();
        Thread waiter = new Thread(() -> {
            try {
                result.set(SyncObj.await(new SyncObj[] {a, b}, null, 0, 60, TimeUnit.SECONDS));
            } catch (Throwable t) {
                result.set(t);
            }
        });
        waiter.start();
        awaitParked(waiter);
        a.signal(); // replaces a's fence: the running wait must keep waiting on fa
        b.fence().signal();
        waiter.join(10_000);
        assertEquals(1, result.get(), "the wait must not pick up a's replacement fence");
        assertFalse(fa.isSignaled());
    }

    @Test
    void wait_for_submit_snapshot() throws Exception {
        SyncObj a = SyncObj.create();
        SyncObj b = SyncObj.create();
        AtomicReference<Object> result = new AtomicReference<>();
        Thread waiter = new Thread(() -> {
            try {
                result.set(SyncObj.await(new SyncObj[] {a, b}, null, WAIT_FOR_SUBMIT, 60,
                        TimeUnit.SECONDS));
            } catch (Throwable t) {
                result.set(t);
            }
        });
        waiter.start();
        awaitWaiters(a, 1);
        awaitWaiters(b, 1);
        Fence never = fresh();
        a.replaceFence(fresh()); // submitted (captured by the wait), never signalled
        a.reset();
        a.replaceFence(never);
        Fence fb = fresh();
        b.replaceFence(fb);
        fb.signal();
        waiter.join(10_000);
        assertEquals(1, result.get());
        assertEquals(0, a.waiterCount());
        assertEquals(0, b.waiterCount());
    }

    @Test
    void wait_all_for_submit_snapshot() throws Exception {
        SyncObj a = SyncObj.create();
        SyncObj b = SyncObj.create();
        FutureTask<Integer> all = async("all", () -> SyncObj.await(new SyncObj[] {a, b}, null,
                WAIT_ALL | WAIT_FOR_SUBMIT, 60, TimeUnit.SECONDS));
        awaitWaiters(a, 1);
        awaitWaiters(b, 1);
        a.signal(); // triggers a
        a.reset();
        a.replaceFence(fresh()); // never signalled: the wait must not pick it up
        b.signal();
        assertEquals(0, get(all));
    }

    @Test
    void waitIsInterruptible() throws Exception {
        SyncObj obj = SyncObj.create();
        AtomicReference<Object> result = new AtomicReference<>();
        Thread waiter = new Thread(() -> {
            try {
                result.set(await1(obj, WAIT_FOR_SUBMIT, 10_000));
            } catch (Throwable t) {
                result.set(t);
            }
        });
        waiter.start();
        awaitWaiters(obj, 1);
        waiter.interrupt();
        waiter.join(10_000);
        assertTrue(result.get() instanceof InterruptedException, String.valueOf(result.get()));
        assertEquals(0, obj.waiterCount(), "the interrupted wait unqueued itself");
    }

    @Test
    void timedOutWaitsReleaseWhatTheyCaptured() throws Exception {
        SyncObj obj = SyncObj.create();
        Fence f = fresh();
        obj.replaceFence(f);
        assertEquals(-1, await1(obj, 0, 10));
        assertEquals(2, f.refCnt());
        obj.reset();
        assertEquals(1, f.refCnt());
        // no callback left behind: the last release leaves it pending instead of erroring it
        assertTrue(f.release());
        assertFalse(f.isSignaled());
    }

    @Test
    void wait_zero_handles() throws Exception {
        assertEquals(0, SyncObj.await(new SyncObj[0], null, 0, 0, TimeUnit.SECONDS));
    }

    // ---- onPoint (the eventfd analogue) ------------------------------------------------------

    @Test
    void onPointRunsWhenSignalledOrSubmitted() {
        SyncObj obj = SyncObj.create();
        AtomicInteger signalled = new AtomicInteger();
        AtomicInteger available = new AtomicInteger();
        obj.onPoint(0, 0, signalled::incrementAndGet);
        obj.onPoint(0, WAIT_AVAILABLE, available::incrementAndGet);
        assertEquals(2, obj.waiterCount());
        Fence f = fresh();
        obj.replaceFence(f);
        assertEquals(1, available.get());
        assertEquals(0, signalled.get());
        assertEquals(0, obj.waiterCount());
        f.signal();
        assertEquals(1, signalled.get());
        f.signal();
        obj.signal();
        assertEquals(1, signalled.get(), "one-shot");
        assertEquals(1, available.get(), "one-shot");
        obj.onPoint(0, 0, signalled::incrementAndGet); // already signalled: runs now
        assertEquals(2, signalled.get());
    }

    @Test
    void onPointActionThatThrowsDoesNotBreakTheObject() {
        SyncObj obj = SyncObj.create();
        AtomicInteger ran = new AtomicInteger();
        obj.onPoint(0, WAIT_AVAILABLE, () -> {
            throw new IllegalStateException("boom");
        });
        obj.onPoint(0, WAIT_AVAILABLE, ran::incrementAndGet);
        obj.signal();
        assertEquals(1, ran.get());
    }

    // ---- export / import ---------------------------------------------------------------------

    @Test
    void exportIsASnapshot() throws Exception {
        SyncObj obj = SyncObj.create();
        Fence f = fresh();
        obj.replaceFence(f);
        try (SyncFile sf = obj.exportSyncFile(0)) {
            assertSame(f, sf.fence());
            f.release();
            obj.reset();
            obj.signal();
            assertFalse(sf.isSignaled(), "later signal/reset do not change the exported file");
            f.signal();
            assertTrue(sf.poll(0, TimeUnit.SECONDS));
        }
        assertEquals(1, f.refCnt());
    }

    @Test
    void exportOfAnEmptyObjectFails() {
        SyncObj obj = SyncObj.create();
        assertThrows(PointNotSubmittedException.class, () -> obj.exportSyncFile(0));
    }

    @Test
    void importReplacesTheFence() throws Exception {
        SyncObj obj = SyncObj.create();
        Fence f = fresh();
        try (SyncFile sf = SyncFile.create(f)) {
            obj.importSyncFile(sf, 0);
            assertFalse(sf.isClosed());
            assertEquals(-1, await1(obj, 0, 0));
            f.signal();
            assertEquals(0, await1(obj, 0, 0));
        }
        SyncFile closed = SyncFile.create(fresh());
        closed.close();
        assertThrows(BadHandleException.class, () -> obj.importSyncFile(closed, 0));
    }

    /**
     * The import holds a reference of its own while it runs (so a close() racing it cannot
     * release the fence in between; the race itself is jcstress's SyncObjTests.ImportVsClose)
     * and gives it back: afterwards the object's reference is the only one added.
     */
    @Test
    void importGivesBackItsTemporaryReference() {
        Fence f = fresh();
        SyncFile sf = SyncFile.create(f);
        assertEquals(2, f.refCnt(), "creator and file");
        SyncObj binary = SyncObj.create();
        binary.importSyncFile(sf, 0);
        assertEquals(3, f.refCnt(), "creator, file, object");
        SyncObj timeline = SyncObj.create();
        timeline.importSyncFile(sf, 1);
        assertEquals(4, f.refCnt(), "creator, file, object, timeline point");
        sf.close();
        binary.reset();
        assertEquals(2, f.refCnt(), "creator and the point (kept while the chain exists)");
        assertThrows(BadHandleException.class, () -> binary.importSyncFile(sf, 0));
        assertThrows(BadHandleException.class, () -> timeline.importSyncFile(sf, 2));
        assertFalse(binary.hasFence(), "a failed import installs nothing");
        assertEquals(1, timeline.lastSubmitted(), "a failed import adds no point");
    }

    /**
     * A file that never counted its fence (created on a fence already released to zero, like a
     * member of an uncounted container) stays importable: a failed retain means "closed
     * concurrently" only for a file that is closed.
     */
    @Test
    void importOfAnUncountedOpenFileStillWorks() {
        Fence f = fresh();
        f.release();
        assertEquals(0, f.refCnt());
        try (SyncFile sf = SyncFile.create(f)) {
            SyncObj obj = SyncObj.create();
            obj.importSyncFile(sf, 0);
            assertSame(f, obj.fence(), "installed uncounted");
            SyncObj timeline = SyncObj.create();
            timeline.importSyncFile(sf, 1);
            assertEquals(1, timeline.lastSubmitted());
        }
    }

    // ---- handle table ------------------------------------------------------------------------

    @Test
    void test_valid_cycle() {
        SyncObjTable objs = new SyncObjTable();
        FdTable fds = new FdTable();
        int h = objs.create(false);
        assertEquals(1, h, "handles start at 1");
        int fd = objs.handleToFd(h, fds);
        int h2 = objs.fdToHandle(fd, fds);
        assertNotEquals(h, h2, "fd to handle gives a new handle");
        assertSame(objs.get(h), objs.get(h2));
        assertSame(objs.get(h), fds.getSyncObj(fd));
        objs.destroy(h);
        assertThrows(BadHandleException.class, () -> objs.get(h));
        objs.get(h2).signal(); // still alive through the other handle
        fds.close(fd);
        assertEquals(h, objs.create(true), "lowest free handle is reused");
    }

    @Test
    void badHandles() {
        SyncObjTable objs = new SyncObjTable();
        FdTable fds = new FdTable();
        assertThrows(BadHandleException.class, () -> objs.destroy(42)); // bad-destroy
        assertThrows(BadHandleException.class, () -> objs.get(0));
        assertThrows(BadHandleException.class, () -> objs.handleToFd(7, fds)); // bad-handle-to-fd
        assertThrows(BadHandleException.class, () -> objs.fdToHandle(-1, fds)); // bad-fd-to-handle
        int fileFd = fds.install(SyncFile.create(fresh()));
        // illegal-fd-to-handle: the fd is not a syncobj
        assertThrows(BadHandleException.class, () -> objs.fdToHandle(fileFd, fds));
        int h = objs.create(false);
        int objFd = objs.handleToFd(h, fds);
        assertThrows(BadHandleException.class, () -> objs.importSyncFile(h, objFd, 0, fds));
        assertThrows(NullPointerException.class, () -> objs.handleToFd(h, null));
        assertThrows(NullPointerException.class, () -> objs.install(null));
    }

    @Test
    void exportAndImportThroughTheTables() throws Exception {
        SyncObjTable objs = new SyncObjTable();
        FdTable fds = new FdTable();
        int src = objs.create(false);
        int dst = objs.create(false);
        assertThrows(PointNotSubmittedException.class, () -> objs.exportSyncFile(src, 0, fds));
        Fence f = fresh();
        objs.get(src).replaceFence(f);
        int fd = objs.exportSyncFile(src, 0, fds);
        objs.importSyncFile(dst, fd, 0, fds);
        assertTrue(fds.isOpen(fd));
        assertEquals(-1, await1(objs.get(dst), 0, 0));
        f.signal();
        assertEquals(0, await1(objs.get(dst), 0, 0));
        assertEquals(2, objs.size());
    }

    // ---- bad input ---------------------------------------------------------------------------

    @Test
    void badWaitArguments() {
        SyncObj obj = SyncObj.create(true);
        SyncObj[] one = {obj};
        TimeUnit s = TimeUnit.SECONDS;
        assertThrows(IllegalArgumentException.class, () -> SyncObj.await(one, null, 0x80, 0, s));
        assertThrows(IllegalArgumentException.class, () -> SyncObj.await(one, null, 0, -1, s));
        assertThrows(IllegalArgumentException.class,
                () -> SyncObj.await(one, new long[] {0, 0}, 0, 0, s));
        assertThrows(IllegalArgumentException.class,
                () -> SyncObj.await(one, new long[] {-1}, 0, 0, s));
        assertThrows(NullPointerException.class, () -> SyncObj.await(null, null, 0, 0, s));
        assertThrows(NullPointerException.class,
                () -> SyncObj.await(new SyncObj[] {null}, null, 0, 0, s));
        assertThrows(NullPointerException.class, () -> SyncObj.await(one, null, 0, 0, null));
    }

    @Test
    void badArguments() {
        SyncObj obj = SyncObj.create();
        assertThrows(NullPointerException.class, () -> obj.addPoint(1, null));
        assertThrows(NullPointerException.class, () -> obj.importSyncFile(null, 0));
        assertThrows(NullPointerException.class, () -> obj.onPoint(0, 0, null));
        assertThrows(IllegalArgumentException.class, () -> obj.onPoint(0, WAIT_ALL, () -> { }));
        assertThrows(IllegalArgumentException.class, () -> obj.onPoint(-1, 0, () -> { }));
        assertThrows(IllegalArgumentException.class, () -> obj.fenceAt(-1));
        assertThrows(IllegalArgumentException.class, () -> obj.signal(-5));
        assertThrows(IllegalArgumentException.class, () -> obj.exportSyncFile(-1));
        assertThrows(NullPointerException.class, () -> SyncObj.transfer(null, 0, obj, 0));
        assertThrows(NullPointerException.class, () -> SyncObj.transfer(obj, 0, null, 0));
        assertThrows(PointNotSubmittedException.class, () -> obj.fenceAt(0));
        assertThrows(PointNotSubmittedException.class, () -> SyncObj.transfer(obj, 0, obj, 1));
        Timeline tl = Timeline.create("x");
        assertThrows(IllegalArgumentException.class, () -> obj.addPoint(0, tl.fenceAt(1)));
        assertThrows(IllegalArgumentException.class, () -> obj.addPoint(-3, tl.fenceAt(1)));
    }

    @Test
    void signalledFencesStaySignalledForLateWaiters() throws Exception {
        SyncObj obj = SyncObj.create();
        Fence f = signalled();
        obj.replaceFence(f);
        assertEquals(0, await1(obj, WAIT_ALL | WAIT_FOR_SUBMIT, 0));
        assertEquals(0, await1(obj, WAIT_AVAILABLE, 0));
    }

    /**
     * A fence one reference short of the count's limit: the object takes the last one, so the
     * reference a submission waiter would take overflows. The waiter must still be told, and the
     * object must still hold its fence (before the fix, replaceFence threw, the dequeued waiter
     * was lost and the object's reference on the installed fence was released under it).
     */
    @Test
    void waiterDeliveryWhoseReferenceOverflowsIsStillDelivered() {
        SyncObj obj = SyncObj.create();
        AtomicInteger told = new AtomicInteger();
        obj.onPoint(0, WAIT_AVAILABLE, told::incrementAndGet);
        Fence f = fresh();
        int taken = TestSupport.retainUntilFull(f);
        f.release(); // one short of full: replaceFence's reference fits, the waiter's does not
        taken--;
        obj.replaceFence(f);
        assertEquals(1, told.get(), "the submission waiter was told");
        f.release(); // room for the reference fence() hands out
        taken--;
        Fence held = obj.fence();
        assertSame(f, held, "the object holds the fence");
        held.release();
        obj.reset(); // gives back the object's reference
        for (int i = 0; i < taken; i++) {
            f.release();
        }
        assertEquals(1, f.refCnt(), "every reference given back but the birth one");
    }
}
